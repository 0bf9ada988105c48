/**
 * Keyboard behaviour of the tree, following the WAI-ARIA tree view pattern: Up/Down move, Right opens
 * a closed row or moves to its first child, Left closes an open row or moves to its parent, Home/End
 * go to the first/last row, PageUp/PageDown move by a page, Enter activates, `*` opens all siblings,
 * and printable characters jump by type-ahead. Pure: it maps (key, rows, focused index) to an action
 * the component carries out.
 */
import type { TreeRow } from './tree-model';

/** What a key press means for the tree. */
export type TreeKeyAction =
  | { kind: 'focus'; index: number }
  | { kind: 'expand'; ids: string[] }
  | { kind: 'collapse'; id: string }
  | { kind: 'activate'; index: number }
  | { kind: 'typeahead'; char: string }
  | { kind: 'none' };

/** Maps one key (a `KeyboardEvent.key` without modifiers) to a tree action. */
export function treeKeyAction(key: string, rows: readonly TreeRow[], index: number, pageRows: number): TreeKeyAction {
  if (rows.length === 0) return { kind: 'none' };
  const i = Math.min(Math.max(index, 0), rows.length - 1);
  const row = rows[i];
  if (row === undefined) return { kind: 'none' };
  switch (key) {
    case 'ArrowDown':
      return { kind: 'focus', index: Math.min(rows.length - 1, i + 1) };
    case 'ArrowUp':
      return { kind: 'focus', index: Math.max(0, i - 1) };
    case 'Home':
      return { kind: 'focus', index: 0 };
    case 'End':
      return { kind: 'focus', index: rows.length - 1 };
    case 'PageDown':
      return { kind: 'focus', index: Math.min(rows.length - 1, i + pageRows) };
    case 'PageUp':
      return { kind: 'focus', index: Math.max(0, i - pageRows) };
    case 'ArrowRight':
      if (row.expandable && !row.expanded) return { kind: 'expand', ids: [row.id] };
      if (row.expandable && row.expanded && i + 1 < rows.length) return { kind: 'focus', index: i + 1 };
      return { kind: 'none' };
    case 'ArrowLeft':
      if (row.expandable && row.expanded) return { kind: 'collapse', id: row.id };
      if (row.parentIndex >= 0) return { kind: 'focus', index: row.parentIndex };
      return { kind: 'none' };
    case 'Enter':
      return { kind: 'activate', index: i };
    case '*': {
      const ids = rows.filter((r) => r.parentIndex === row.parentIndex && r.expandable && !r.expanded).map((r) => r.id);
      return ids.length > 0 ? { kind: 'expand', ids } : { kind: 'none' };
    }
    default:
      if (key.length === 1 && key !== ' ') return { kind: 'typeahead', char: key };
      return { kind: 'none' };
  }
}

/**
 * Type-ahead: the next row (after `from` when the prefix is one character, from `from` itself when the
 * user is extending a prefix, wrapping around) whose name starts with `prefix`, or -1. A prefix of one
 * repeated letter ("aaa") cycles through the rows starting with that letter.
 */
export function typeaheadIndex(rows: readonly TreeRow[], from: number, prefix: string): number {
  if (rows.length === 0 || prefix === '') return -1;
  let needle = prefix.toLowerCase();
  // Pressing the same letter again cycles through the rows starting with it.
  if (/^(.)\1+$/u.test(needle)) needle = needle.slice(0, 1);
  const startOffset = needle.length === 1 ? 1 : 0;
  for (let k = 0; k < rows.length; k++) {
    const j = (from + startOffset + k + rows.length) % rows.length;
    const row = rows[j];
    if (row !== undefined && row.name.toLowerCase().startsWith(needle)) return j;
  }
  return -1;
}

/** Time after the last key press when a type-ahead prefix starts over, in ms. */
export const TYPEAHEAD_RESET_MS = 700;
