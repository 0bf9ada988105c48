/**
 * Turns text into the key presses that type it on a guest keyboard layout ("Type text…").
 *
 * How it works: for the chosen layout (generated from xkb-data, `xkb-layouts.generated.ts`) every
 * character is looked up among the keys' levels — level 1 needs no modifier, 2 Shift, 3 AltGr,
 * 4 AltGr+Shift — taking the fewest modifiers; failing that, a dead key followed by a character the
 * layout types (from the Compose table: dead_acute then e → é). Newline, tab and space are the fixed
 * keys every layout has.
 *
 * Two kinds of server:
 * - `scancodes` (QEMU extended key events): the server gets key positions, the guest's layout makes
 *   the characters, so a character the layout cannot make cannot be typed: it is listed in
 *   `unproducible` and skipped.
 * - keysyms only: the server maps keysyms itself; a character without a key on the layout is sent
 *   as its bare keysym (Unicode keysym where X has no legacy one), so nothing is unproducible.
 *
 * Every press carries both the keysym and the DOM code (`sendKey(keysym, code, down)` in noVNC),
 * and the modifiers are pressed before and released after each character.
 */
import { KEY_POSITIONS } from './key-positions';
import { DEAD_KEYS, KEYSYMS, XKB_LAYOUTS, type GeneratedLayout } from './xkb-layouts.generated';

/** One key event to send. `code` is a DOM KeyboardEvent.code ('' when the server maps the keysym). */
export interface KeyEvent {
  keysym: number;
  code: string;
  down: boolean;
}

/** The events that type one character of the text. */
export interface CharStep {
  char: string;
  events: KeyEvent[];
}

/** A text turned into key events, with the characters that will not be typed. */
export interface TypePlan {
  steps: CharStep[];
  /** Distinct characters the layout cannot produce (skipped), in order of first appearance. */
  unproducible: string[];
}

/** A layout the dialog offers. */
export interface LayoutChoice {
  id: string;
  name: string;
}

/** Keysyms and codes of the modifier and fixed keys (X11 keysymdef.h values). */
export const SPECIAL_KEYS = {
  shift: { keysym: 0xffe1, code: 'ShiftLeft' },
  altgr: { keysym: 0xfe03, code: 'AltRight' },
  enter: { keysym: 0xff0d, code: 'Enter' },
  tab: { keysym: 0xff09, code: 'Tab' },
  space: { keysym: 0x0020, code: 'Space' },
} as const;

/** The layouts offered, by id, with their XKB names. */
export function layoutChoices(): LayoutChoice[] {
  return Object.entries(XKB_LAYOUTS).map(([id, layout]) => ({ id, name: layout.name }));
}

/** True for a layout id this planner knows. */
export function isLayoutId(id: string): boolean {
  return Object.hasOwn(XKB_LAYOUTS, id);
}

/** A key at a level. */
interface Stroke {
  position: string;
  level: number;
  keysym: number;
}

/** How a character is reached: directly, or a dead key then a base character. */
type Route = { strokes: Stroke[]; cost: number };

/** Character → cheapest route, for one layout (built once per layout). */
const routeCache = new Map<string, Map<string, Route>>();

function routesFor(layoutId: string, layout: GeneratedLayout): Map<string, Route> {
  const cached = routeCache.get(layoutId);
  if (cached !== undefined) return cached;
  const maxLevel = layout.altgr ? 4 : 2;
  const direct = new Map<string, Route>();
  const dead: { name: string; stroke: Stroke }[] = [];
  for (const [position, levels] of Object.entries(layout.keys)) {
    levels.slice(0, maxLevel).forEach((name, i) => {
      const info = KEYSYMS[name];
      if (info === undefined) return;
      const stroke: Stroke = { position, level: i + 1, keysym: info[0] };
      if (name.startsWith('dead_')) dead.push({ name, stroke });
      const char = info[1];
      if (char === undefined) return;
      const prev = direct.get(char);
      if (prev === undefined || prev.cost > i) direct.set(char, { strokes: [stroke], cost: i });
    });
  }
  const routes = new Map(direct);
  for (const { name, stroke } of dead) {
    for (const [base, result] of Object.entries(DEAD_KEYS[name] ?? {})) {
      // Space after a dead key is the fixed space bar.
      const baseRoute: Route | undefined = base === ' ' ? { strokes: [{ position: 'SPCE', level: 1, keysym: SPECIAL_KEYS.space.keysym }], cost: 0 } : direct.get(base);
      if (baseRoute === undefined || direct.has(result)) continue;
      const cost = 10 + stroke.level + baseRoute.cost;
      const prev = routes.get(result);
      if (prev === undefined || prev.cost > cost) routes.set(result, { strokes: [stroke, ...baseRoute.strokes], cost });
    }
  }
  routeCache.set(layoutId, routes);
  return routes;
}

/** The events of one stroke: its modifiers down, the key down and up, the modifiers up. */
function strokeEvents(stroke: Stroke): KeyEvent[] {
  const code = stroke.position === 'SPCE' ? SPECIAL_KEYS.space.code : (KEY_POSITIONS[stroke.position] ?? '');
  const mods = [];
  if (stroke.level >= 3) mods.push(SPECIAL_KEYS.altgr);
  if (stroke.level === 2 || stroke.level === 4) mods.push(SPECIAL_KEYS.shift);
  return [
    ...mods.map((m) => ({ keysym: m.keysym, code: m.code, down: true })),
    { keysym: stroke.keysym, code, down: true },
    { keysym: stroke.keysym, code, down: false },
    ...mods.reverse().map((m) => ({ keysym: m.keysym, code: m.code, down: false })),
  ];
}

/** A press and release of a fixed key. */
function tap(key: { keysym: number; code: string }): KeyEvent[] {
  return [
    { keysym: key.keysym, code: key.code, down: true },
    { keysym: key.keysym, code: key.code, down: false },
  ];
}

/** Keysym name → keysym for characters, reversed (first name wins), for the keysym-only fallback. */
let charKeysyms: Map<string, number> | undefined;

/** The keysym X uses for a character: Latin-1 as is, a legacy keysym if there is one, else Unicode. */
export function keysymForChar(char: string): number {
  const cp = char.codePointAt(0) ?? 0;
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  if (charKeysyms === undefined) {
    charKeysyms = new Map();
    for (const [keysym, c] of Object.values(KEYSYMS)) if (c !== undefined && !charKeysyms.has(c)) charKeysyms.set(c, keysym);
  }
  return charKeysyms.get(char) ?? 0x1000000 + cp;
}

/** Plans typing `text` on `layoutId`; `scancodes` says whether the server takes key positions. */
export function planTyping(text: string, layoutId: string, scancodes: boolean): TypePlan {
  const layout = XKB_LAYOUTS[layoutId];
  if (layout === undefined) throw new Error(`unknown keyboard layout "${layoutId}"`);
  const routes = routesFor(layoutId, layout);
  const steps: CharStep[] = [];
  const unproducible: string[] = [];
  const chars = Array.from(text.replace(/\r\n?/g, '\n'));
  for (const char of chars) {
    if (char === '\n') steps.push({ char, events: tap(SPECIAL_KEYS.enter) });
    else if (char === '\t') steps.push({ char, events: tap(SPECIAL_KEYS.tab) });
    else if (char === ' ') steps.push({ char, events: tap(SPECIAL_KEYS.space) });
    else {
      const route = routes.get(char);
      if (route !== undefined && (scancodes || route.strokes.length === 1)) steps.push({ char, events: route.strokes.flatMap(strokeEvents) });
      else if (!scancodes && (char.codePointAt(0) ?? 0) >= 0x20) steps.push({ char, events: tap({ keysym: keysymForChar(char), code: '' }) });
      else if (!unproducible.includes(char)) unproducible.push(char);
    }
  }
  return { steps, unproducible };
}
