/**
 * The version of the installed `@k07/cli`, read from its package.json when asked (so it is the
 * published version, not one compiled in). The file sits one folder above this module in both
 * `src/` and `dist/`.
 */
export async function cliVersion(): Promise<string> {
  // A variable specifier: resolved at run time relative to this module, not bundled by the compiler.
  const manifest = "../package.json";
  const { default: json } = (await import(manifest, { with: { type: "json" } })) as { default: { version: string } };
  return json.version;
}
