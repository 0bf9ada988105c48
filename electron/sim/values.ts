/**
 * Values as the simulator stores and serves them: XAPI's wire form.
 *
 * Records are plain objects with snake_case field names exactly as the datamodel spells them
 * (`name_label`, `VCPUs_max`, `HVM_boot_policy`). Refs are `OpaqueRef:<uuid>` strings, sets are arrays,
 * maps are objects, dates are `20121017T15:30:30Z` strings, booleans are booleans and int64 fields are JS
 * numbers. That is what xapi's JSON-RPC sends; the XML-RPC codec (`xmlrpc.ts`) turns int64 numbers into
 * strings (as xapi does over XML-RPC), float fields into `<double>` and date strings into
 * `<dateTime.iso8601>`.
 *
 * The dump loader only has strings, so the tables below say which field names are ints, floats or maps.
 * They cover the classes the simulator serves; anything not listed stays a string (or a bool for
 * "true"/"false", or a set/map when the text is an S-expression).
 */
import { randomUUID } from 'node:crypto';

/** A value in a record. */
export type Value = string | number | boolean | Value[] | { [key: string]: Value };
/** One object's fields. */
export type XRecord = Record<string, Value>;

/** xapi's null reference. */
export const NULL_REF = 'OpaqueRef:NULL';
/** The date xapi writes for "never". */
export const NEVER = '19700101T00:00:00Z';

/** A fresh opaque reference. */
export function newRef(): string {
  return `OpaqueRef:${randomUUID()}`;
}

/** A fresh uuid. */
export function newUuid(): string {
  return randomUUID();
}

/** A date in xapi's wire form (`YYYYMMDDTHH:MM:SSZ`). */
export function xapiDate(date: Date = new Date()): string {
  return date.toISOString().replace(/-/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** True for strings in xapi's date form (served as dateTime.iso8601 over XML-RPC). */
export const DATE_RE = /^\d{8}T\d{2}:\d{2}:\d{2}Z$/;

/** int64 fields of the served classes (numbers in JSON-RPC, strings in XML-RPC). */
export const INT_FIELDS: ReadonlySet<string> = new Set([
  'memory_overhead', 'memory_target', 'memory_static_max', 'memory_dynamic_max', 'memory_dynamic_min',
  'memory_static_min', 'VCPUs_max', 'VCPUs_at_startup', 'user_version', 'domid', 'start_delay',
  'shutdown_delay', 'order', 'version', 'hardware_platform_version',
  'memory_total', 'memory_free', 'memory_actual', 'VCPUs_number', 'API_version_major', 'API_version_minor',
  'boot_free_mem', 'virtual_allocation', 'physical_utilisation', 'physical_size', 'virtual_size',
  'MTU', 'VLAN', 'port', 'vm_console_idle_timeout', 'console_idle_timeout',
  'ha_host_failures_to_tolerate', 'ha_plan_exists_for',
]);

/** Float fields (doubles in XML-RPC even when whole). */
export const FLOAT_FIELDS: ReadonlySet<string> = new Set(['progress', 'HVM_shadow_multiplier', 'memory_ratio', 'speed']);

/** Map fields whose values are floats. */
export const FLOAT_MAP_FIELDS: ReadonlySet<string> = new Set(['VCPUs_utilisation']);

/** Fields that are maps even when empty (an empty S-expression is a set otherwise). */
export const MAP_FIELDS: ReadonlySet<string> = new Set([
  'other_config', 'platform', 'HVM_boot_params', 'xenstore_data', 'bios_strings', 'blobs', 'sm_config',
  'software_version', 'cpu_info', 'cpu_configuration', 'license_params', 'license_server', 'chipset_info',
  'external_auth_configuration', 'VCPUs_params', 'VCPUs_utilisation', 'VCPUs_CPU', 'VCPUs_flags',
  'os_version', 'PV_drivers_version', 'networks', 'disks', 'memory', 'other', 'device_config',
  'qos_algorithm_params', 'runtime_properties', 'current_operations', 'logging', 'gui_config',
  'health_check_config', 'restrictions', 'guest_agent_config', 'last_boot_CPU_flags', 'status',
  'API_version_vendor_implementation', 'NVRAM', 'features', 'properties', 'config', 'backend_config',
]);

/** Fields that are always plain strings even when they look like an S-expression or a boolean. */
export const STRING_FIELDS: ReadonlySet<string> = new Set([
  'name_label', 'name_description', 'last_booted_record', 'recommendations', 'PV_args', 'PV_legacy_args',
  'PV_bootloader_args', 'location', 'hostname', 'description', 'result', 'backtrace',
]);

type Sexp = string | Sexp[];

/** Parses xapi's S-expression text (`('a' 'b')`, `(('k' 'v'))`); undefined when it is not one. */
export function parseSexp(text: string): Sexp | undefined {
  let i = 0;
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
  };
  const item = (): Sexp | undefined => {
    skip();
    const c = text[i];
    if (c === '(') {
      i++;
      const list: Sexp[] = [];
      for (;;) {
        skip();
        if (i >= text.length) return undefined;
        if (text[i] === ')') {
          i++;
          return list;
        }
        const sub = item();
        if (sub === undefined) return undefined;
        list.push(sub);
      }
    }
    if (c === "'") {
      i++;
      let out = '';
      while (i < text.length && text[i] !== "'") {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        out += text[i] ?? '';
        i++;
      }
      if (i >= text.length) return undefined;
      i++;
      return out;
    }
    return undefined;
  };
  const result = item();
  skip();
  return i === text.length ? result : undefined;
}

/** Undoes xapi's whitespace escaping in dumps (`%.`/`%_` space, `%t`, `%n`, `%r`, `%%`). */
export function unescapeDump(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(/%([._tnr%])/g, (_m, c: string) => {
    switch (c) {
      case '.':
      case '_':
        return ' ';
      case 't':
        return '\t';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      default:
        return '%';
    }
  });
}

function typedScalar(field: string, text: string): Value {
  if (INT_FIELDS.has(field)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  if (FLOAT_FIELDS.has(field)) {
    const n = Number(text);
    return Number.isFinite(n) ? n : text;
  }
  if (!STRING_FIELDS.has(field) && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

/** Turns one dump attribute (already unescaped) into its wire value, using the field tables above. */
export function typedValue(field: string, text: string): Value {
  if (!STRING_FIELDS.has(field) && text.startsWith('(') && text.endsWith(')')) {
    const sexp = parseSexp(text);
    if (Array.isArray(sexp)) {
      if (sexp.length === 0) return MAP_FIELDS.has(field) ? {} : [];
      if (sexp.every((x) => typeof x === 'string')) return sexp;
      const pairs = sexp.every((x) => Array.isArray(x) && x.length === 2 && x.every((y) => typeof y === 'string'));
      if (pairs) {
        const map: Record<string, Value> = {};
        for (const pair of sexp as [string, string][]) {
          map[pair[0]] = FLOAT_MAP_FIELDS.has(field) && Number.isFinite(Number(pair[1])) ? Number(pair[1]) : pair[1];
        }
        return map;
      }
    }
  }
  return typedScalar(field, text);
}

/** True when `value` is a map (a plain object). */
export function isMap(value: Value | undefined): value is Record<string, Value> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string field of a record ('' when absent or not a string). */
export function str(rec: XRecord | undefined, field: string): string {
  const v = rec?.[field];
  return typeof v === 'string' ? v : '';
}

/** A set-of-strings field of a record ([] when absent). */
export function strs(rec: XRecord | undefined, field: string): string[] {
  const v = rec?.[field];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A map field of a record ({} when absent). */
export function map(rec: XRecord | undefined, field: string): Record<string, Value> {
  const v = rec?.[field];
  return isMap(v) ? v : {};
}
