import type { Server } from 'node:net';
import type { HostPort } from './address.ts';

/**
 * Listens on `at` and resolves with the address actually bound (port 0 picks a free one). `exclusive`: a
 * process under the supervisor (the cluster primary) owns this port itself instead of sharing the primary's.
 */
export async function listenOn(server: Server, at: HostPort): Promise<HostPort> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: at.port, host: at.host, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return { host: at.host, port: typeof address === 'object' && address ? address.port : at.port };
}
