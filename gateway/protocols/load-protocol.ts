import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, SwitchboardError } from '../../shared/errors.ts';
import type { ProtocolCodec } from './codec.ts';
import { frameCodec } from './frame.ts';
import { textCodec } from './text.ts';

/** The protocols a gateway speaks without a module of the app's. */
export const BUILT_IN_PROTOCOLS = ['websocket', 'text', 'frame'] as const;

const BUILT_IN_CODECS: Record<string, ProtocolCodec> = { text: textCodec, frame: frameCodec };
const NAME = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * The codec of a `--protocol` value: null for `websocket`, the built-in `text` and `frame`, or the codec a module
 * exports (its path, relative to `cwd`). A module exports the codec as its default export, or `input`, `decode`
 * and `encode` (and optionally `name`) as named exports; without a name, the file's name is the protocol's.
 */
export async function loadProtocol(
  protocol: string | ProtocolCodec,
  cwd = process.cwd(),
): Promise<ProtocolCodec | null> {
  if (typeof protocol !== 'string') return checkCodec(protocol, 'the protocol option');
  if (protocol === 'websocket') return null;
  const builtIn = BUILT_IN_CODECS[protocol];
  if (builtIn) return builtIn;
  const path = resolve(cwd, protocol);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (cause) {
    throw new SwitchboardError(
      ErrorCode.ProtocolModule,
      `--protocol ${protocol} is not one of ${BUILT_IN_PROTOCOLS.join(', ')} and the module ${path} could not be ` +
        `loaded: ${(cause as Error).message}`,
      { cause },
    );
  }
  const exported = (isCodecLike(module.default) ? module.default : module) as Partial<ProtocolCodec>;
  const name = exported.name ?? basename(path, extname(path));
  return checkCodec({ ...pick(exported), name } as ProtocolCodec, path);
}

function isCodecLike(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as ProtocolCodec).input === 'function'
  );
}

/** The codec's own functions, called with the codec as `this` (a class with static methods works too). */
function pick(codec: Partial<ProtocolCodec>): Partial<ProtocolCodec> {
  const bound = (key: 'input' | 'decode' | 'encode') =>
    typeof codec[key] === 'function' ? (codec[key] as (...args: never[]) => unknown).bind(codec) : codec[key];
  return { input: bound('input'), decode: bound('decode'), encode: bound('encode') } as Partial<ProtocolCodec>;
}

function checkCodec(codec: ProtocolCodec, where: string): ProtocolCodec {
  for (const key of ['input', 'decode', 'encode'] as const) {
    if (typeof codec[key] !== 'function') {
      throw new SwitchboardError(
        ErrorCode.ProtocolModule,
        `${where} exports no ${key}() function: a protocol exports input(buffer), decode(message) and encode(data) ` +
          '(docs/devices-over-tcp.md)',
      );
    }
  }
  if (typeof codec.name !== 'string' || !NAME.test(codec.name) || codec.name === 'websocket') {
    throw new SwitchboardError(
      ErrorCode.ProtocolModule,
      `${where}: the protocol name ${JSON.stringify(codec.name)} must be 1 to 32 letters, digits, - or _ ` +
        '(and not "websocket")',
    );
  }
  return codec;
}
