import { readFileSync } from 'node:fs';
import { connect as tcpConnect, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { ErrorCode, SwitchboardError } from './errors.ts';

/**
 * Optional TLS on internal links (register and gateway inner ports), for clusters that span untrusted networks.
 * Both sides present a certificate signed by the cluster's CA and check the other's against it; the shared
 * secret handshake still runs inside. Peers are addressed by IP, so certificates are checked against the CA,
 * not against a host name.
 */
export interface LinkTls {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

/** Paths as given on the command line (`--tls-cert`, `--tls-key`, `--tls-ca`): all three or none. */
export interface LinkTlsFiles {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

/** Reads the certificate files; undefined when none is given, SB_ERR_INVALID_OPTION when only some are. */
export function loadLinkTls(files: LinkTlsFiles): LinkTls | undefined {
  const given = [files.tlsCert, files.tlsKey, files.tlsCa].filter(Boolean).length;
  if (given === 0) return undefined;
  if (given < 3) {
    throw new SwitchboardError(
      ErrorCode.InvalidOption,
      'TLS on internal links needs all of --tls-cert, --tls-key and --tls-ca (the same CA on every process)',
    );
  }
  const read = (flag: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (cause) {
      throw new SwitchboardError(ErrorCode.InvalidOption, `${flag} ${path}: ${(cause as Error).message}`, { cause });
    }
  };
  return {
    cert: read('--tls-cert', files.tlsCert!),
    key: read('--tls-key', files.tlsKey!),
    ca: read('--tls-ca', files.tlsCa!),
  };
}

/** A listener for internal links: plain TCP, or TLS requiring a client certificate from the CA. */
export function createLinkServer(
  tls: LinkTls | undefined,
  handshakeTimeout: number,
  onSocket: (socket: Socket) => void,
  onTlsError: (err: Error, socket: Socket) => void,
): Server {
  if (!tls) return createTcpServer(onSocket);
  const server = createTlsServer(
    { ...tls, requestCert: true, rejectUnauthorized: true, handshakeTimeout, minVersion: 'TLSv1.2' },
    onSocket,
  );
  server.on('tlsClientError', onTlsError);
  return server;
}

/** Opens an internal link's socket: plain TCP, or TLS checking the server against the CA. */
export function connectLinkSocket(host: string, port: number, tls: LinkTls | undefined): Socket {
  if (!tls) return tcpConnect({ host, port });
  return tlsConnect({ host, port, ...tls, minVersion: 'TLSv1.2', checkServerIdentity: () => undefined });
}
