/**
 * Examples in the documentation are executed by tests; these find them. Runtime-neutral (the Node
 * and the Deno suites both use it): callers read the file themselves.
 */

/** The text between `<!-- section:NAME -->` and `<!-- /section:NAME -->`; throws if it is missing. */
export function markdownSection(markdown: string, name: string, file: string): string {
  const start = markdown.indexOf(`<!-- section:${name} -->`);
  const end = markdown.indexOf(`<!-- /section:${name} -->`);
  if (start < 0 || end < start) throw new Error(`${file} has no "${name}" section`);
  return markdown.slice(start, end);
}

/** The contents of the fenced code blocks of one language (```ts, ```sh, …), in order. */
export function codeBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
}
