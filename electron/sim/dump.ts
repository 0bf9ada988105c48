/**
 * Reader for xapi database dumps (`<database><manifest/><table name="VM"><row ref=… …/></table>…`).
 *
 * The format is described in `../shared/fixtures/xapi-db/README.md`: one `<row>` per object, fields as
 * attributes with `__` standing for `_` in nested names (`name__label` → `name_label`), sets as
 * `('a' 'b')`, maps as `(('k' 'v'))`, whitespace escaped as `%.` (older writers `%_`), `%t`, `%n`,
 * `%r`, `%%`. `__ctime`/`__mtime`/`_ref` are database bookkeeping and are dropped. Values are typed with
 * the field tables of `values.ts`.
 *
 * Only the classes in `SERVED_CLASSES` are kept (table names are matched case-insensitively); the rest
 * of a dump (sessions, messages, roles, blobs…) is ignored.
 */
import { XMLParser } from 'fast-xml-parser';
import { typedValue, unescapeDump, type XRecord } from './values';

/** Classes the simulator serves, in the datamodel's spelling. */
export const SERVED_CLASSES: readonly string[] = [
  'pool', 'host', 'host_metrics', 'VM', 'VM_metrics', 'VM_guest_metrics', 'console', 'task',
  'SR', 'PBD', 'network', 'PIF', 'VIF', 'VBD', 'VDI', 'VM_appliance',
];

/** One object read from a dump. */
export interface DumpRow {
  cls: string;
  ref: string;
  rec: XRecord;
}

const SKIPPED_ATTRIBUTES = new Set(['ref', '__ctime', '__mtime', '_ref']);

/** Datamodel field name of a dump attribute (`name__label` → `name_label`). */
export function fieldName(attribute: string): string {
  return attribute.replace(/__/g, '_');
}

/** Parses a dump; throws on text that is not a `<database>` document. */
export function parseDump(xml: string): DumpRow[] {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    processEntities: true,
    isArray: (name) => name === 'table' || name === 'row' || name === 'pair',
  });
  const doc = parser.parse(xml) as { database?: { table?: { name?: string; row?: Record<string, string>[] }[] } };
  const database = doc.database;
  if (database === undefined || typeof database !== 'object') throw new Error('not a xapi database dump (no <database>)');
  const served = new Map(SERVED_CLASSES.map((c) => [c.toLowerCase(), c]));
  const out: DumpRow[] = [];
  for (const table of database.table ?? []) {
    const cls = served.get((table.name ?? '').toLowerCase());
    if (cls === undefined) continue;
    for (const row of table.row ?? []) {
      const ref = row.ref ?? row._ref;
      if (typeof ref !== 'string' || ref === '') throw new Error(`row without ref in table ${cls}`);
      const rec: XRecord = {};
      for (const [attribute, raw] of Object.entries(row)) {
        if (SKIPPED_ATTRIBUTES.has(attribute)) continue;
        const field = fieldName(attribute);
        rec[field] = typedValue(field, unescapeDump(raw));
      }
      out.push({ cls, ref, rec });
    }
  }
  return out;
}
