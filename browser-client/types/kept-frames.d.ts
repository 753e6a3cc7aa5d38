/**
 * Reads one message of the recovery subprotocol: a tag (a character in text frames, a byte in binary ones) says
 * whether the rest is the data of an ordinary send (0), a kept message after its `[stream, epoch, offset]`
 * header (1), or an event of the gateway's as JSON (2).
 * @param {string | ArrayBuffer} frame
 * @returns {KeptFrame}
 */
export function readKeptFrame(frame: string | ArrayBuffer): KeptFrame;
export type KeptFrame = {
    kind: "data";
    data: string | ArrayBuffer;
} | {
    kind: "kept";
    stream: string;
    epoch: string;
    offset: number;
    data: string | ArrayBuffer;
} | {
    kind: "event";
    t: string;
    stream: string;
    epoch: string | null;
    offset: number | null;
} | {
    kind: "invalid";
};
