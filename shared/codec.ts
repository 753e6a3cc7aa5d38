import { Packr } from 'msgpackr';

/**
 * The one msgpack codec of the internal wire. `useRecords: false` keeps every frame self-contained
 * (plain maps, no stream-wide record definitions), so a frame can be decoded on its own, by any language.
 */
export const packr = new Packr({ useRecords: false, moreTypes: false });

/** Bytes in a frame header: the body length as an unsigned 32-bit big-endian integer. */
export const FRAME_HEADER_BYTES = 4;

/** @default 16 MiB: the largest frame body a peer may send before its connection is closed. */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;
