// Types for the Observable Framework modules that components import in the browser.
declare module "observablehq:stdlib" {
  export interface FileAttachmentHandle {
    readonly name: string;
    readonly href: string;
    url(): Promise<string>;
    text(): Promise<string>;
    json(): Promise<unknown>;
    arrayBuffer(): Promise<ArrayBuffer>;
    blob(): Promise<Blob>;
  }
  export function FileAttachment(name: string): FileAttachmentHandle;
  export const Generators: {
    /** A generator of the values `change` is called with; `initialize` returns a dispose function. */
    observe<T>(initialize: (change: (value: T) => void) => (() => void) | void): AsyncGenerator<T>;
  };
}

declare module "htl" {
  export function html(strings: TemplateStringsArray, ...values: unknown[]): HTMLElement;
  export function svg(strings: TemplateStringsArray, ...values: unknown[]): SVGElement;
}

// The few Inputs the components build (settings-form.ts, prediction-view.ts, speed-controls.ts); pages use the rest untyped.
declare module "@observablehq/inputs" {
  export type InputElement<T> = HTMLElement & { value: T };
  interface InputOptions<T> {
    label?: string;
    value?: T;
    step?: number;
    format?: (value: T) => string;
    disabled?: boolean;
  }
  export function form<T extends object>(inputs: { [K in keyof T]: InputElement<T[K]> }): InputElement<T>;
  export function number(range: readonly [number, number], options?: InputOptions<number>): InputElement<number>;
  export function range(range: readonly [number, number], options?: InputOptions<number>): InputElement<number>;
  export function select<T>(data: readonly T[], options?: InputOptions<T>): InputElement<T>;
  export function radio<T>(data: readonly T[], options?: InputOptions<T>): InputElement<T>;
  export function checkbox<T>(data: readonly T[], options?: Omit<InputOptions<T[]>, "format"> & { format?: (value: T) => string }): InputElement<T[]>;
}
