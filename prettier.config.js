// Prettier formats the code; ESLint (eslint.config.js) only finds problems. The options match the style
// the code was written in: double quotes, semicolons and trailing commas are Prettier's defaults, and a
// print width of 150 is the one at which formatting the tree removes the fewest existing lines
// (measured over 100 to 180: fewer files change at 150 than at 120 or 140, and past it Prettier starts
// joining lines that were broken on purpose).
/** @type {import("prettier").Config} */
export default {
  printWidth: 150,
};
