// No page may declare a name that Observable Framework provides itself. Framework gives
// each cell its own `display` and `view` (and `invalidation`, `visibility`), which win over
// a page variable of the same name: a page's `const view = ...` is silently replaced by
// Framework's function in every cell that reads it. The library names (`width`, `now`,
// `Generators`, `Plot`, ...) are replaced the other way round, for every cell of the page.
// Either way the page does something other than it reads, so this test scans the
// top-level declarations of every ```js block the way Framework does.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// Framework's own parser, so that "top-level declaration" means exactly what it means to Framework.
import { parseJavaScript } from "@observablehq/framework/dist/javascript/parse.js";
import * as recommendedLibraries from "@observablehq/framework/dist/client/stdlib/recommendedLibraries.js";
import * as sampleDatasets from "@observablehq/framework/dist/client/stdlib/sampleDatasets.js";

/** Per-cell values (dist/client/main.js and the Observable runtime) and the runtime library of dist/client/main.js. */
const CELL_BUILTINS = ["display", "view", "invalidation", "visibility"];
const LIBRARY_BUILTINS = ["now", "width", "dark", "resize", "FileAttachment", "Generators", "Mutable", "md"];
const FRAMEWORK_BUILTINS = new Set([
  ...CELL_BUILTINS,
  ...LIBRARY_BUILTINS,
  ...Object.keys(recommendedLibraries),
  ...Object.keys(sampleDatasets),
]);

/**
 * Imports of a built-in's own library under its own name are what the pages do to bundle
 * from node_modules instead of a CDN (see the notes on running offline): the same value.
 * name -> [module, imported name ("*" for a namespace import)].
 */
const SAME_LIBRARY: Record<string, [string, string][]> = {
  Inputs: [["@observablehq/inputs", "*"]],
  Plot: [["@observablehq/plot", "*"]],
  htl: [["htl", "*"]],
  html: [["htl", "html"]],
  svg: [["htl", "svg"]],
  d3: [["d3", "*"]],
  aq: [["arquero", "*"], ["arquero/dist/arquero.min.js", "*"]],
  FileAttachment: [["observablehq:stdlib", "FileAttachment"]],
  Generators: [["observablehq:stdlib", "Generators"]],
  Mutable: [["observablehq:stdlib", "Mutable"]],
  resize: [["observablehq:stdlib", "resize"]],
};

interface Shadow {
  file: string;
  line: number;
  name: string;
  how: string;
}

interface Node {
  type: string;
  start: number;
  [key: string]: unknown;
}

/** The ```js / ```javascript blocks Framework runs (not `run=false`), with the line each starts on. */
function jsBlocks(markdown: string): { code: string; line: number }[] {
  const blocks: { code: string; line: number }[] = [];
  const fence = /^(```+)(js|javascript)\b([^\n]*)\n([\s\S]*?)^\1[ \t]*$/gm;
  for (let m; (m = fence.exec(markdown)); ) {
    if (/\brun\s*=\s*false\b/.test(m[3])) continue;
    blocks.push({ code: m[4], line: markdown.slice(0, m.index).split("\n").length + 1 });
  }
  return blocks;
}

function identifiers(pattern: Node): Node[] {
  switch (pattern.type) {
    case "Identifier":
      return [pattern];
    case "ObjectPattern":
      return (pattern.properties as Node[]).flatMap((p) => identifiers(p.type === "Property" ? (p.value as Node) : p));
    case "ArrayPattern":
      return (pattern.elements as (Node | null)[]).flatMap((e) => (e ? identifiers(e) : []));
    case "RestElement":
      return identifiers(pattern.argument as Node);
    case "AssignmentPattern":
      return identifiers(pattern.left as Node);
    default:
      return [];
  }
}

/** Top-level declarations of a page's cells that reuse a Framework built-in's name. */
function shadowedBuiltins(file: string, markdown: string): Shadow[] {
  const found: Shadow[] = [];
  for (const block of jsBlocks(markdown)) {
    const cell = parseJavaScript(block.code, { path: file }) as { body: Node; expression: boolean };
    if (cell.expression) continue;
    const lineOf = (node: Node) => block.line + block.code.slice(0, node.start).split("\n").length - 1;
    for (const statement of cell.body.body as Node[]) {
      if (statement.type === "VariableDeclaration") {
        for (const d of statement.declarations as Node[]) {
          for (const id of identifiers(d.id as Node)) {
            const name = id.name as string;
            if (FRAMEWORK_BUILTINS.has(name)) found.push({ file, line: lineOf(id), name, how: `${statement.kind as string} ${name}` });
          }
        }
      } else if (statement.type === "FunctionDeclaration" || statement.type === "ClassDeclaration") {
        const name = (statement.id as Node).name as string;
        if (FRAMEWORK_BUILTINS.has(name)) found.push({ file, line: lineOf(statement), name, how: `${statement.type === "ClassDeclaration" ? "class" : "function"} ${name}` });
      } else if (statement.type === "ImportDeclaration") {
        const source = (statement.source as Node).value as string;
        for (const spec of statement.specifiers as Node[]) {
          const name = (spec.local as Node).name as string;
          if (!FRAMEWORK_BUILTINS.has(name)) continue;
          const imported = spec.type === "ImportNamespaceSpecifier" ? "*" : spec.type === "ImportDefaultSpecifier" ? "default" : ((spec.imported as Node).name as string);
          if (SAME_LIBRARY[name]?.some(([m, i]) => m === source && i === imported)) continue;
          found.push({ file, line: lineOf(spec), name, how: `import ${imported === "*" ? `* as ${name}` : imported === name ? `{${name}}` : `{${imported} as ${name}}`} from "${source}"` });
        }
      }
    }
  }
  return found;
}

const PAGES = ["src/index.md", ...readdirSync("src/pages").filter((f) => f.endsWith(".md")).map((f) => `src/pages/${f}`)];

describe("pages and Framework built-ins", () => {
  it("knows Framework's built-in names", () => {
    for (const name of ["view", "display", "width", "invalidation", "Generators", "Inputs", "Plot", "html", "d3", "aq", "L", "penguins"]) {
      expect(FRAMEWORK_BUILTINS.has(name), name).toBe(true);
    }
  });

  it("finds a shadowing declaration, and allows a built-in's own library under its name", () => {
    const page = [
      "```js",
      'import * as Inputs from "@observablehq/inputs";',
      'import {html} from "htl";',
      'import {view as show} from "./x.js";',
      "const viewInput = Inputs.radio([1, 2]);",
      "const view = Generators.input(viewInput);",
      "{ const width = 3; }",
      "```",
      "",
      "```js run=false",
      "const now = 1;",
      "```",
      "",
      "```js",
      'import {html as h, Plot} from "./y.js";',
      "const [a, {width}] = f();",
      "function display() {}",
      "```",
    ].join("\n");
    expect(shadowedBuiltins("page.md", page).map((s) => `${s.line} ${s.how}`)).toEqual([
      "6 const view",
      '15 import {Plot} from "./y.js"',
      "16 const width",
      "17 function display",
    ]);
  });

  it.each(PAGES)("%s declares no Framework built-in", (file) => {
    const shadows = shadowedBuiltins(file, readFileSync(file, "utf8"));
    expect(shadows.map((s) => `${s.file}:${s.line}: ${s.how} hides Framework's ${s.name}; rename it`)).toEqual([]);
  });
});
