import { ErrorCode, SwitchboardError } from './errors.ts';

/**
 * The subset of PHP's `serialize()` format that GatewayWorker's protocol carries: sessions and the answers to
 * GatewayClient's queries. Null `N;`, booleans `b:1;`, integers `i:42;`, floats `d:0.5;`, strings
 * `s:5:"hello";` (the length counts bytes) and arrays `a:2:{i:0;s:1:"a";s:1:"k";i:1;}`. Objects, references
 * and custom serializations (`O:`, `C:`, `r:`, `R:`, `E:`) are refused: a session is plain data.
 *
 * JavaScript to PHP: an array is a list (keys 0..n-1), a plain object an array with its keys (a key that PHP
 * would read as an integer, like "12", is written as one, as PHP itself does), bytes a string. PHP to
 * JavaScript: an array whose keys are 0..n-1 in order becomes an array, any other an object; strings are read
 * as UTF-8.
 */

/** @default 64: arrays nested deeper than this are refused, so a hostile input cannot exhaust the stack. */
export const MAX_PHP_DEPTH = 64;

/** A value that `phpSerialize` writes. */
export type PhpValue = null | undefined | boolean | number | string | Uint8Array | PhpValue[] | PhpArray;
export interface PhpArray {
  [key: string]: PhpValue;
}

/** PHP turns a string key that is a canonical decimal integer into an integer key. */
const INT_KEY = /^(0|-?[1-9][0-9]{0,18})$/;

function isIntKey(key: string): boolean {
  return INT_KEY.test(key) && Number.isSafeInteger(Number(key));
}

function writeString(parts: Buffer[], bytes: Buffer): void {
  parts.push(Buffer.from(`s:${bytes.length}:"`), bytes, Buffer.from('";'));
}

function writeKey(parts: Buffer[], key: string): void {
  if (isIntKey(key)) parts.push(Buffer.from(`i:${key};`));
  else writeString(parts, Buffer.from(key, 'utf8'));
}

function write(parts: Buffer[], value: unknown, depth: number): void {
  if (depth > MAX_PHP_DEPTH) {
    throw new SwitchboardError(ErrorCode.InvalidArgument, `PHP serialize: nested deeper than ${MAX_PHP_DEPTH}`);
  }
  if (value === null || value === undefined) return void parts.push(Buffer.from('N;'));
  switch (typeof value) {
    case 'boolean':
      return void parts.push(Buffer.from(value ? 'b:1;' : 'b:0;'));
    case 'number':
      if (Number.isSafeInteger(value)) return void parts.push(Buffer.from(`i:${value};`));
      if (Number.isNaN(value)) return void parts.push(Buffer.from('d:NAN;'));
      if (!Number.isFinite(value)) return void parts.push(Buffer.from(value > 0 ? 'd:INF;' : 'd:-INF;'));
      return void parts.push(Buffer.from(`d:${value};`));
    case 'bigint':
      return void parts.push(Buffer.from(`i:${value};`));
    case 'string':
      return writeString(parts, Buffer.from(value, 'utf8'));
    case 'object':
      break;
    default:
      throw new SwitchboardError(ErrorCode.InvalidArgument, `PHP serialize: a ${typeof value} has no PHP form`);
  }
  if (value instanceof Uint8Array) return writeString(parts, Buffer.from(value.buffer, value.byteOffset, value.length));
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value as Record<string, unknown>);
  parts.push(Buffer.from(`a:${entries.length}:{`));
  for (const [key, v] of entries) {
    writeKey(parts, key);
    write(parts, v, depth + 1);
  }
  parts.push(Buffer.from('}'));
}

/** `value` as PHP's `serialize()` writes it. Throws SB_ERR_INVALID_ARGUMENT for what PHP has no form of. */
export function phpSerialize(value: unknown): Buffer {
  const parts: Buffer[] = [];
  write(parts, value, 0);
  return Buffer.concat(parts);
}

const utf8 = new TextDecoder('utf-8');

/** Reads one serialized value; `pos` moves past it. Every failure is an SB_ERR_INVALID_ARGUMENT. */
class Reader {
  pos = 0;
  constructor(private readonly bytes: Buffer) {}

  fail(what: string): never {
    throw new SwitchboardError(ErrorCode.InvalidArgument, `PHP unserialize: ${what} at byte ${this.pos}`);
  }

  expect(char: string): void {
    if (this.bytes[this.pos] !== char.charCodeAt(0)) this.fail(`expected "${char}"`);
    this.pos++;
  }

  /** The text up to (not including) the next `end` byte, which is skipped. */
  until(end: string): string {
    const at = this.bytes.indexOf(end.charCodeAt(0), this.pos);
    if (at < 0 || at - this.pos > 32) this.fail(`expected "${end}"`);
    const text = this.bytes.toString('latin1', this.pos, at);
    this.pos = at + 1;
    return text;
  }

  integer(end: string): number {
    const text = this.until(end);
    if (!/^[+-]?[0-9]+$/.test(text)) this.fail(`"${text}" is not an integer`);
    const n = Number(text);
    if (!Number.isSafeInteger(n)) this.fail(`integer ${text} is out of range`);
    return n;
  }

  value(depth: number): unknown {
    const type = String.fromCharCode(this.bytes[this.pos] ?? 0);
    this.pos++;
    if (type === 'N') {
      this.expect(';');
      return null;
    }
    this.expect(':');
    switch (type) {
      case 'b': {
        const b = this.until(';');
        if (b !== '0' && b !== '1') this.fail(`"${b}" is not a boolean`);
        return b === '1';
      }
      case 'i':
        return this.integer(';');
      case 'd': {
        const text = this.until(';');
        if (text === 'NAN') return NaN;
        if (text === 'INF' || text === '-INF') return text === 'INF' ? Infinity : -Infinity;
        if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) this.fail(`"${text}" is not a float`);
        return Number(text);
      }
      case 's':
        return this.string();
      case 'a':
        return this.array(depth);
      default:
        return this.fail(`type "${type}" is not supported (only N, b, i, d, s and a are)`);
    }
  }

  string(): string {
    const length = this.integer(':');
    if (length < 0 || this.pos + 1 + length + 2 > this.bytes.length) this.fail(`string of ${length} bytes overruns`);
    this.expect('"');
    const text = utf8.decode(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    this.expect('"');
    this.expect(';');
    return text;
  }

  array(depth: number): unknown {
    if (depth >= MAX_PHP_DEPTH) this.fail(`arrays nested deeper than ${MAX_PHP_DEPTH}`);
    const count = this.integer(':');
    // Each entry takes at least 4 bytes ("i:0;N;" is 6): a count the input cannot hold is refused up front.
    if (count < 0 || count * 4 > this.bytes.length - this.pos) this.fail(`array of ${count} entries overruns`);
    this.expect('{');
    const out: Record<string, unknown> = {};
    let isList = true;
    for (let i = 0; i < count; i++) {
      const keyType = this.bytes[this.pos];
      let key: string;
      if (keyType === 0x69 /* i */) {
        this.pos++;
        this.expect(':');
        key = String(this.integer(';'));
      } else if (keyType === 0x73 /* s */) {
        this.pos++;
        this.expect(':');
        key = this.string();
      } else {
        return this.fail('an array key must be an integer or a string');
      }
      if (key !== String(i)) isList = false;
      const value = this.value(depth + 1);
      // A key like "__proto__" must stay a plain property.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    }
    this.expect('}');
    return isList ? Object.values(out) : out;
  }
}

/**
 * The value PHP's `serialize()` wrote in `input` (the whole input must be that one value). Throws
 * SB_ERR_INVALID_ARGUMENT naming the byte where it is malformed or unsupported.
 */
export function phpUnserialize(input: Uint8Array | string): unknown {
  const bytes =
    typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.length);
  const reader = new Reader(bytes);
  const value = reader.value(0);
  if (reader.pos !== bytes.length) reader.fail('trailing bytes after the value');
  return value;
}
