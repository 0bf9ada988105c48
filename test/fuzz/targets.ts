/**
 * Property-based fuzz targets (fast-check) for the code that reads untrusted bytes: the CONNECT answer
 * parser, the xapi database dump loader, `event.from` → inventory, the IPC argument guards and the
 * harness frame decoder. Each target is one property over generated inputs (random bytes plus inputs
 * built to sit near the edge: well-formed answers cut anywhere, dumps with prototype keys and wrong
 * types, events for `__proto__`). `fuzz.test.ts` runs each briefly in `npm test`; `run.ts` (`npm run
 * fuzz`) runs each for a million inputs and prints the table.
 */
import fc from 'fast-check';
import { parseConnectResponse, MAX_CONNECT_HEADER_BYTES } from '../../shared/connect-response';
import { PoolInventory, MAX_NAME_CHARS, type XapiEvent } from '../../shared/inventory-build';
import * as validate from '../../shared/validate';
import { REQUEST_CHANNELS } from '../../shared/contract';
import { parseDump } from '../../electron/sim/dump';
import { parseFrame } from '../../electron/core/harness/api-socket';

/** One fuzz target: a name and the property to check. */
export interface FuzzTarget {
  name: string;
  property: () => fc.IPropertyWithHooks<[unknown]> | fc.IProperty<[unknown]>;
}

const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** Fails when something wrote onto Object.prototype (prototype pollution). */
function assertPrototypeClean(): void {
  const probe: Record<string, unknown> = {};
  for (const k of ['polluted', 'name_label', 'uuid', 'x', 'ref', 'is_a_template']) {
    if (probe[k] !== undefined) throw new Error(`Object.prototype.${k} was polluted`);
  }
  if (Object.keys(Object.prototype).length > 0) throw new Error('Object.prototype gained keys');
}

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...HOSTILE_KEYS), fc.string({ unit: 'binary', maxLength: 40 }));
const asciiToken = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/);
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,40}$/).map((v) => v.trim());

/** A well-formed xapi-style answer: status line, headers, CRLFCRLF, then some body or console bytes. */
const wellFormedAnswer = fc.record({
  status: fc.integer({ min: 100, max: 599 }),
  reason: fc.stringMatching(/^[\x20-\x7e]{0,30}$/),
  headers: fc.array(fc.tuple(asciiToken, headerValue), { maxLength: 8 }),
  rest: fc.uint8Array({ maxLength: 64 }),
  cut: fc.nat(),
});

const enc = new TextEncoder();

const connectParser: FuzzTarget = {
  name: 'CONNECT response parser',
  property: () =>
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 256 }).map((bytes) => ({ kind: 'random' as const, bytes })),
        fc.uint8Array({ maxLength: 64 }).map((b) => ({ kind: 'random' as const, bytes: Uint8Array.from([...enc.encode('HTTP/1.1 '), ...b]) })),
        wellFormedAnswer.map((a) => ({ kind: 'answer' as const, ...a })),
      ),
      (input) => {
        const i = input as { kind: 'random'; bytes: Uint8Array } | { kind: 'answer'; status: number; reason: string; headers: [string, string][]; rest: Uint8Array; cut: number };
        if (i.kind === 'random') {
          const r = parseConnectResponse(i.bytes);
          if (!['incomplete', 'invalid', 'complete'].includes(r.state)) throw new Error(`state ${r.state}`);
          if (r.state === 'complete') {
            const end = r.headerBytes;
            if (end > i.bytes.length || end > MAX_CONNECT_HEADER_BYTES || i.bytes[end - 1] !== 10 || i.bytes[end - 2] !== 13) throw new Error('header end is not a CRLFCRLF inside the bytes');
            if (r.status < 0 || r.status > 999) throw new Error('status out of range');
          }
          return;
        }
        const head = `HTTP/1.1 ${i.status}${i.reason === '' ? '' : ` ${i.reason}`}\r\n${i.headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
        const bytes = Uint8Array.from([...enc.encode(head), ...i.rest]);
        const whole = parseConnectResponse(bytes);
        if (whole.state !== 'complete') throw new Error(`well-formed answer not complete: ${JSON.stringify(whole)}`);
        if (whole.status !== i.status || whole.reason !== i.reason || whole.headerBytes !== head.length) throw new Error('wrong status, reason or header length');
        if (whole.headers.length !== i.headers.length || whole.headers.some(([n, v], k) => n !== i.headers[k]?.[0].toLowerCase() || v !== i.headers[k]?.[1])) throw new Error('headers differ');
        // Any prefix that stops before the header end is incomplete, never invalid (reads may split anywhere).
        const cut = i.cut % head.length;
        const partial = parseConnectResponse(bytes.subarray(0, cut));
        if (partial.state !== 'incomplete') throw new Error(`prefix of ${cut} bytes is ${partial.state}`);
      },
    ),
};

/** An XML attribute value, escaped. */
const xmlValue = (s: string): string => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
const attrName = fc.oneof(fc.constantFrom('ref', 'uuid', 'name__label', 'power_state', 'consoles', 'other_config', ...HOSTILE_KEYS), fc.stringMatching(/^[a-z_]{1,12}$/));
const dumpRow = fc.array(fc.tuple(attrName, text), { maxLength: 6 }).map((attrs) => `<row ${attrs.map(([n, v]) => `${n}="${xmlValue(v)}"`).join(' ')}/>`);
const dumpTable = fc.tuple(fc.constantFrom('VM', 'host', 'pool', 'console', 'VM_guest_metrics', '__proto__', 'SR', 'constructor'), fc.array(dumpRow, { maxLength: 4 })).map(
  ([name, rows]) => `<table name="${name}">${rows.join('')}</table>`,
);
const dumpXml = fc.array(dumpTable, { maxLength: 4 }).map((tables) => `<database><manifest><pair key="schema_major_vsn" value="5"/></manifest>${tables.join('')}</database>`);

const dumpLoader: FuzzTarget = {
  name: 'xapi dump loader',
  property: () =>
    fc.property(
      fc.oneof(
        dumpXml,
        fc.tuple(dumpXml, fc.nat()).map(([xml, n]) => xml.slice(0, n % (xml.length + 1))),
        fc.string({ maxLength: 200 }),
        fc.constantFrom('<database>', '<html><body>502</body></html>', '{"Status":"Success"}', '<?xml version="1.0"?><database/>'),
      ),
      (xml) => {
        try {
          const rows = parseDump(xml);
          if (!Array.isArray(rows)) throw new Error('not an array');
        } catch (error) {
          // A clear Error with a message is the contract for bad input; anything else is a bug.
          if (!(error instanceof Error) || error.message === '' || error instanceof TypeError || error instanceof RangeError) throw error;
        }
        assertPrototypeClean();
      },
    ),
};

const refs = fc.constantFrom('OpaqueRef:a', 'OpaqueRef:b', 'OpaqueRef:c', 'OpaqueRef:NULL', '__proto__', 'constructor', '');
const fieldValue = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.oneof(refs, text), { maxLength: 3 }), fc.dictionary(text, text, { maxKeys: 3 }), fc.string({ minLength: 300, maxLength: 600 }));
const snapshot = fc.oneof(
  fc.dictionary(
    fc.oneof(fc.constantFrom('uuid', 'name_label', 'power_state', 'resident_on', 'consoles', 'guest_metrics', 'is_a_template', 'is_control_domain', 'VM', 'protocol', 'location', 'master', 'os_version', 'networks', 'tags', 'allowed_operations'), text),
    fieldValue,
    { maxKeys: 10 },
  ),
  fc.anything(),
);
const event = fc.record({
  class: fc.oneof(fc.constantFrom('VM', 'vm', 'host', 'pool', 'console', 'vm_guest_metrics', 'task', '__proto__', 'constructor'), text),
  operation: fc.oneof(fc.constantFrom('add', 'mod', 'del'), text),
  ref: fc.oneof(refs, text),
  snapshot,
});

const eventsToInventory: FuzzTarget = {
  name: 'event.from → inventory',
  property: () =>
    fc.property(fc.array(fc.array(event, { maxLength: 8 }), { maxLength: 4 }), (batches) => {
      const inv = new PoolInventory('P');
      for (const batch of batches as XapiEvent[][]) {
        inv.applyEvents(batch);
        const { upserts, removes } = inv.takeDiff();
        for (const n of upserts) {
          if (!['pool', 'host', 'vm'].includes(n.kind) || typeof n.id !== 'string' || typeof n.name !== 'string') throw new Error(`bad node ${JSON.stringify(n)}`);
          if (n.name.length > MAX_NAME_CHARS) throw new Error('name not capped');
          JSON.stringify(n);
        }
        if (!removes.every((r) => typeof r === 'string')) throw new Error('bad remove');
        inv.resolveConsole('x', 'rfb');
      }
      assertPrototypeClean();
    }),
};

/** Every guard exported by shared/validate.ts (the IPC argument checks), by name. */
const guards: [string, (v: unknown) => boolean][] = [];
for (const [name, value] of Object.entries(validate) as [string, unknown][]) {
  if (typeof value === 'function' && name.startsWith('is')) guards.push([name, value as (v: unknown) => boolean]);
}

const ipcGuards: FuzzTarget = {
  name: `IPC guards (${guards.length})`,
  property: () =>
    fc.property(
      fc.oneof<fc.Arbitrary<unknown>[]>(
        fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withObjectString: true, withBoxedValues: true, key: fc.oneof(fc.string(), fc.constantFrom(...HOSTILE_KEYS)) }),
        fc.record({ id: text, poolId: text, vmUuid: fc.uuid(), protocol: fc.constantFrom('rfb', 'vt100', 'rdp'), name: text, address: text, username: text, password: text, remember: fc.boolean(), action: text, fingerprint: text }, { requiredKeys: [] }),
      ),
      (arg) => {
        for (const [name, guard] of guards) {
          const ok = guard(arg);
          if (typeof ok !== 'boolean') throw new Error(`${name} returned ${typeof ok}`);
          // What a guard accepts is plain data: it survives a JSON round trip and is accepted again.
          if (ok && arg !== undefined && !guard(JSON.parse(JSON.stringify(arg)) as unknown)) throw new Error(`${name} accepted a value that is not plain data`);
        }
      },
    ),
};

const harnessFrames: FuzzTarget = {
  name: 'harness frame decoder',
  property: () =>
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.json(),
        fc.record({ id: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)), channel: fc.oneof(fc.constantFrom(...REQUEST_CHANNELS), text), arg: fc.jsonValue() }).map((f) => JSON.stringify(f)),
        fc.constantFrom('{"__proto__":{"id":1}}', '{"id":1,"channel":"__proto__"}', '{"id":1,"channel":"constructor"}', '[]', 'null', '{"id":9007199254740993,"channel":"pool:list"}'),
      ),
      (text) => {
        const f = parseFrame(text);
        if (typeof f === 'string') return;
        if ('badId' in f) {
          if (!Number.isSafeInteger(f.badId)) throw new Error('bad id passed');
          return;
        }
        if (!Number.isSafeInteger(f.id) || !(REQUEST_CHANNELS as readonly string[]).includes(f.channel)) throw new Error(`accepted ${text}`);
        assertPrototypeClean();
      },
    ),
};

/** The targets, in table order. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [connectParser, dumpLoader, eventsToInventory, ipcGuards, harnessFrames];
