/**
 * The tree's filter text as shared state: the tree's search box edits it, and the console wall's
 * "filter result" scope shows the VMs it matches.
 */

class TreeFilter {
  /** What the user typed in the tree's filter box. */
  text = $state('');
}

/** The page's tree filter. */
export const treeFilter = new TreeFilter();
