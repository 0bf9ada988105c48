/**
 * A small, strict XML-RPC codec for the simulator's `POST /` and `POST /xmlrpc` routes.
 *
 * Decoding: a hand-written parser for the subset XML-RPC uses (elements, text, the five entities and
 * numeric character references; no attributes, no DTD). Value types: string (or untyped), int, i4, i8,
 * boolean, double, dateTime.iso8601, base64, struct, array. Anything else is an error, which the
 * server answers as a parse failure.
 *
 * Encoding follows xapi: strings are untyped `<value>text</value>`, int64 record fields go out as
 * strings (XAPI's XML-RPC has no 64-bit int), float fields as `<double>`, date strings as
 * `<dateTime.iso8601>`, `Int32` values (event.from `valid_ref_counts`) as `<int>`, booleans as `0`/`1`.
 * Results are wrapped as `{Status: "Success", Value}` or `{Status: "Failure", ErrorDescription}`.
 */
import { DATE_RE, FLOAT_FIELDS, FLOAT_MAP_FIELDS } from './values';

/** A decoded XML-RPC value. */
export type RpcValue = string | number | boolean | RpcValue[] | { [key: string]: RpcValue };

/** A 32-bit int that XML-RPC must send as `<int>` (JSON sends it as a number). */
export class Int32 {
  constructor(readonly value: number) {}
  /** JSON form. */
  toJSON(): number {
    return this.value;
  }
}

interface XmlElement {
  name: string;
  children: (XmlElement | string)[];
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, body: string) => {
    if (body.startsWith('#x')) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(parseInt(body.slice(1), 10));
    const e = ENTITIES[body];
    if (e === undefined) throw new Error(`unknown entity ${whole}`);
    return e;
  });
}

/** Parses XML text into an element tree (strict: mismatched tags throw). */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const root: XmlElement = { name: '#root', children: [] };
  const stack: XmlElement[] = [root];
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const top = stack[stack.length - 1] ?? root;
    if (lt < 0) {
      if (text.slice(i).trim() !== '') throw new Error('text after the document');
      break;
    }
    if (lt > i) top.children.push(decodeEntities(text.slice(i, lt)));
    if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt);
      if (end < 0) throw new Error('unterminated processing instruction');
      i = end + 2;
      continue;
    }
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
      continue;
    }
    if (text.startsWith('<!', lt)) throw new Error('DTDs are not accepted');
    const gt = text.indexOf('>', lt);
    if (gt < 0) throw new Error('unterminated tag');
    const inner = text.slice(lt + 1, gt);
    i = gt + 1;
    if (inner.startsWith('/')) {
      const name = inner.slice(1).trim();
      const open = stack.pop();
      if (open === undefined || open.name !== name || stack.length === 0) throw new Error(`unexpected </${name}>`);
      continue;
    }
    const selfClosing = inner.endsWith('/');
    const name = (selfClosing ? inner.slice(0, -1) : inner).trim().split(/\s+/)[0] ?? '';
    if (!/^[A-Za-z_][\w.-]*$/.test(name)) throw new Error(`bad tag <${inner}>`);
    const el: XmlElement = { name, children: [] };
    top.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length !== 1) throw new Error('unclosed element');
  const elements = root.children.filter((c): c is XmlElement => typeof c !== 'string');
  if (elements.length !== 1 || root.children.some((c) => typeof c === 'string' && c.trim() !== '')) throw new Error('expected one root element');
  return elements[0] as XmlElement;
}

function elements(el: XmlElement): XmlElement[] {
  for (const c of el.children) if (typeof c === 'string' && c.trim() !== '') throw new Error(`unexpected text in <${el.name}>`);
  return el.children.filter((c): c is XmlElement => typeof c !== 'string');
}

function text(el: XmlElement): string {
  let out = '';
  for (const c of el.children) {
    if (typeof c !== 'string') throw new Error(`unexpected <${c.name}> in <${el.name}>`);
    out += c;
  }
  return out;
}

function child(el: XmlElement, name: string): XmlElement {
  const c = elements(el).find((x) => x.name === name);
  if (c === undefined) throw new Error(`<${el.name}> lacks <${name}>`);
  return c;
}

/** Decodes one `<value>` element. */
export function decodeValue(el: XmlElement): RpcValue {
  if (el.name !== 'value') throw new Error(`expected <value>, got <${el.name}>`);
  const kids = el.children.filter((c): c is XmlElement => typeof c !== 'string');
  if (kids.length === 0) return text(el);
  const typed = elements(el);
  if (typed.length !== 1) throw new Error('<value> with several children');
  const t = typed[0] as XmlElement;
  switch (t.name) {
    case 'string':
    case 'base64':
    case 'dateTime.iso8601':
      return text(t);
    case 'int':
    case 'i4':
    case 'i8': {
      const s = text(t).trim();
      if (!/^[-+]?\d+$/.test(s)) throw new Error(`bad int ${s}`);
      return Number(s);
    }
    case 'double': {
      const n = Number(text(t).trim());
      if (!Number.isFinite(n)) throw new Error('bad double');
      return n;
    }
    case 'boolean': {
      const s = text(t).trim();
      if (s !== '0' && s !== '1') throw new Error(`bad boolean ${s}`);
      return s === '1';
    }
    case 'array':
      return elements(child(t, 'data')).map(decodeValue);
    case 'struct': {
      const out: Record<string, RpcValue> = {};
      for (const m of elements(t)) {
        if (m.name !== 'member') throw new Error(`unexpected <${m.name}> in <struct>`);
        out[text(child(m, 'name'))] = decodeValue(child(m, 'value'));
      }
      return out;
    }
    default:
      throw new Error(`unsupported XML-RPC type <${t.name}>`);
  }
}

/** Decodes a `<methodCall>`. */
export function decodeCall(xml: string): { method: string; params: RpcValue[] } {
  const root = parseXml(xml);
  if (root.name !== 'methodCall') throw new Error('not a methodCall');
  const method = text(child(root, 'methodName')).trim();
  const paramsEl = elements(root).find((e) => e.name === 'params');
  const params = paramsEl === undefined ? [] : elements(paramsEl).map((p) => {
    if (p.name !== 'param') throw new Error(`unexpected <${p.name}> in <params>`);
    return decodeValue(child(p, 'value'));
  });
  return { method, params };
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Encodes a value; `key` is the struct member it sits in (to pick double for float fields). */
export function encodeValue(v: unknown, key = '', floatValues = false): string {
  if (v instanceof Int32) return `<value><int>${v.value}</int></value>`;
  if (typeof v === 'string') {
    return DATE_RE.test(v) ? `<value><dateTime.iso8601>${v}</dateTime.iso8601></value>` : `<value>${escapeXml(v)}</value>`;
  }
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
  if (typeof v === 'number') {
    if (floatValues || FLOAT_FIELDS.has(key) || !Number.isInteger(v)) return `<value><double>${v}</double></value>`;
    return `<value>${v}</value>`;
  }
  if (Array.isArray(v)) return `<value><array><data>${v.map((x) => encodeValue(x)).join('')}</data></array></value>`;
  if (v !== null && typeof v === 'object') {
    const floats = FLOAT_MAP_FIELDS.has(key);
    const members = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `<member><name>${escapeXml(k)}</name>${encodeValue(x, k, floats)}</member>`);
    return `<value><struct>${members.join('')}</struct></value>`;
  }
  throw new Error(`cannot encode ${typeof v} in XML-RPC`);
}

function response(body: Record<string, unknown>): string {
  // No XML declaration and no whitespace around the root, as xapi writes it: xen-api's parser
  // (trim: false) would otherwise take the text before the root for the document.
  return `<methodResponse><params><param>${encodeValue(body)}</param></params></methodResponse>`;
}

/** A success reply. */
export function encodeSuccess(value: unknown): string {
  return response({ Status: 'Success', Value: value });
}

/** A failure reply. */
export function encodeFailure(code: string, params: readonly string[]): string {
  return response({ Status: 'Failure', ErrorDescription: [code, ...params] });
}
