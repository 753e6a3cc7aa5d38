import { Command, InvalidArgumentError, Option } from 'commander';
import { formatHostPort, parseHostPort } from '../shared/address.ts';
import type { Role } from './supervisor.ts';

/** Flag values as commander hands them over, keyed by camelCase name (`--inner-port` is `innerPort`). */
export type FlagValues = Record<string, unknown>;

/**
 * What one child of `switchboard start` gets of a flag: a flag name (the child gets that flag with the same
 * value; a boolean that is true becomes the bare flag), or the arguments made from the value for child `index`.
 */
export type HandOn = string | ((value: any, index: number) => string[]);

/**
 * One command-line flag of a role, and where its value goes. Each role has a table of these
 * (`gateway-flags.ts`, `business-flags.ts` …): its commander options, its options object, the flags `start`
 * hands on to its children and the per-copy flags of `--count` are all made from that table.
 */
export interface Flag<Options extends object = object> {
  /** As commander spells it: `--inner-port <port>`, `--demo`, `--no-demo`. */
  flags: string;
  /** The `--help` text. */
  description: string;
  /** Turns the text given into the value (e.g. `integer`); without it the value is the text. */
  parse?: (text: string) => unknown;
  /** The only values accepted. */
  choices?: readonly string[];
  /** The value when the flag is not given: the role's `DEFAULT_*` constant. */
  default?: string | number | boolean;
  /** How `--help` shows the default, where it is not the value itself. */
  defaultHelp?: string;
  /** The environment variable read when the flag is not given. */
  env?: string;
  /** The field of the role's options object this flag sets; none when the command itself reads the flag. */
  field?: keyof Options & string;
  /** Makes the field's value from the flag's (which may be undefined); without it the field is the value. */
  convert?: (value: any) => unknown;
  /** With `--count N`: the arguments copy `index` gets after the shared ones (e.g. its own inner port). */
  perCopy?: (value: any, index: number) => string[];
  /** For `start`: what each kind of child gets of this flag. */
  handOn?: Partial<Record<Role, HandOn>>;
}

/** Parses a whole number of at least 0 (ports, sizes, counts, milliseconds). */
export function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

/** The commander option of a flag. */
export function toOption(flag: Flag<any>): Option {
  const option = new Option(flag.flags, flag.description);
  if (flag.parse) option.argParser(flag.parse);
  if (flag.choices) option.choices(flag.choices);
  if (flag.env) option.env(flag.env);
  if (flag.default !== undefined || flag.defaultHelp) option.default(flag.default, flag.defaultHelp);
  return option;
}

/** The key of a flag's value in commander's values (`--no-demo` is `demo`). */
export function valueKey(flag: Flag<any>): string {
  return new Option(flag.flags).attributeName();
}

/** The flag as typed on a command line, without its argument (`--inner-port`, `--no-demo`). */
export function flagName(flag: Flag<any>): string {
  return new Option(flag.flags).long!;
}

/** Adds the flags to a command, in table order (which is their order in `--help`). */
export function addFlags(command: Command, flags: readonly Flag<any>[]): Command {
  for (const flag of flags) command.addOption(toOption(flag));
  return command;
}

/** The role's options object: each flag's value, converted where the table says so, in its field. */
export function toOptions<Options extends object>(
  flags: readonly Flag<Options>[],
  values: FlagValues,
): Partial<Options> {
  const options: Record<string, unknown> = {};
  for (const flag of flags) {
    if (!flag.field) continue;
    const value = values[valueKey(flag)];
    const converted = flag.convert ? flag.convert(value) : value;
    if (converted !== undefined) options[flag.field] = converted;
  }
  return options as Partial<Options>;
}

/** The command line `start` gives child `index` of `role`: what each of its flags hands on to that role. */
export function handOnArgs(flags: readonly Flag<any>[], values: FlagValues, role: Role, index: number): string[] {
  return flags.flatMap((flag) => {
    const handOn = flag.handOn?.[role];
    const value = values[valueKey(flag)];
    if (handOn === undefined || value === undefined || value === false) return [];
    if (typeof handOn === 'function') return handOn(value, index);
    return value === true ? [handOn] : [handOn, String(value)];
  });
}

/** The arguments copy `index` of a `--count N` role gets after the shared command line. */
export function perCopyArgs(flags: readonly Flag<any>[], values: FlagValues, index: number): string[] {
  return flags.flatMap((flag) => {
    const value = values[valueKey(flag)];
    return flag.perCopy && value !== undefined ? flag.perCopy(value, index) : [];
  });
}

/** A flag of a role's table reused by a command that has no options object (`start`): it sets no field. */
export function withoutField<Options extends object>(flag: Flag<Options>): Flag {
  const { field: _field, convert: _convert, perCopy: _perCopy, ...rest } = flag;
  return rest;
}

/** The same flags, each handed on to `role`'s children under its own name (for `start`). */
export function handedOnTo<Options extends object>(role: Role, flags: readonly Flag<Options>[]): Flag[] {
  return flags.map((flag) => ({ ...withoutField(flag), handOn: { [role]: flagName(flag) } }));
}

/** A command line without `--count` and its value, for the copies a `--count N` supervisor starts. */
export function withoutCount(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--count') i++;
    else if (!args[i]!.startsWith('--count=')) out.push(args[i]!);
  }
  return out;
}

/** `HOST:PORT` with the port moved up by `offset`, for per-process metrics ports. */
export function shiftPort(address: string, offset: number): string {
  const { host, port } = parseHostPort(address);
  return formatHostPort({ host, port: port + offset });
}

/** The inner port of gateway `index` when the first has `port`: the next ones up, or 0 (any free port) for each. */
export function innerPortOf(port: number, index: number): number {
  return port === 0 ? 0 : port + index;
}
