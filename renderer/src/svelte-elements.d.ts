// `aria-description` is a global attribute since ARIA 1.3; Svelte's element typings predate it.
// The tree puts each item's state there (its accessible name stays exactly the object's name).
declare module 'svelte/elements' {
  export interface AriaAttributes {
    /** A short description of the element, read after its name. */
    'aria-description'?: string | undefined | null;
  }
}

export {};
