// Types for the parts of Observable Framework's build that tests/pages reads: its
// JavaScript parser and the names of its client-side built-in libraries.
declare module "@observablehq/framework/dist/javascript/parse.js" {
  export function parseJavaScript(input: string, options: { path: string; inline?: boolean }): { body: unknown; expression: boolean };
}
declare module "@observablehq/framework/dist/client/stdlib/recommendedLibraries.js" {
  const names: Record<string, unknown>;
  export = names;
}
declare module "@observablehq/framework/dist/client/stdlib/sampleDatasets.js" {
  const names: Record<string, unknown>;
  export = names;
}
