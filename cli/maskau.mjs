#!/usr/bin/env node
// Entry point of the `maskau` command: runs the TypeScript CLI through tsx so that
// the CLI, the pages and the tests share the same src/lib sources.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
await main(process.argv);
