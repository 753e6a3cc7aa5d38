import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { currentScope, runtime, sessionSnapshot, type Context, type EventScope } from './context.ts';
import type { GatewayDirectory } from '../gateway-api/gateway-directory.ts';
import { Cmd } from '../shared/commands.ts';
import { GatewayApi, type Name, type SendData, type SessionData } from '../gateway-api/gateway-api.ts';
import { payload } from '../gateway-api/call-arguments.ts';

function scopeOf(call: string): EventScope {
  const scope = currentScope();
  if (!scope) {
    throw new SwitchboardError(
      ErrorCode.NoCurrentClient,
      `${call}: there is no current client here; call it from onConnect/onMessage/onClose (or code they started), or pass a client id`,
    );
  }
  return scope;
}

/** The running event's scope when it is about `clientId`, so the handler's ctx follows the change. */
function scopeFor(clientId: string): EventScope | undefined {
  const scope = currentScope();
  return scope?.ctx.clientId === clientId ? scope : undefined;
}

/**
 * The Gateway API inside a business worker, plus the "current client" calls. Those work after `await` and
 * inside timers started by a handler (AsyncLocalStorage), unlike GatewayWorker's.
 */
class WorkerGateway extends GatewayApi {
  protected get directory(): GatewayDirectory {
    const scope = currentScope();
    if (scope?.timedOut) {
      const { event, clientId } = scope.ctx;
      throw new SwitchboardError(
        ErrorCode.HandlerTimeout,
        `the ${event} handler for client ${clientId} ran past --handler-timeout and was given up: its Gateway calls ` +
          'are refused; make it finish in time, or do long work outside the handler and send from there',
      );
    }
    if (!runtime.directory) {
      throw new SwitchboardError(
        ErrorCode.NotInWorker,
        'Gateway is only connected inside a business worker (switchboard business / start); ' +
          'from another program use GatewayClient',
      );
    }
    return runtime.directory;
  }

  /** The context of the event being handled, or undefined outside a handler. */
  get currentContext(): Context | undefined {
    return currentScope()?.ctx;
  }

  /** Sends to the client whose event is being handled. */
  sendToCurrentClient(data: SendData): void {
    const call = 'sendToCurrentClient';
    const { clientId, gateway } = scopeOf(call).ctx;
    // The gateway is known from the event: no need to decode it from the client id again.
    this.route(call, gateway, { cmd: Cmd.SendToClients, clients: [clientId], data: payload(call, data) });
  }

  /** Closes the client whose event is being handled, after an optional last message. */
  closeCurrentClient(data?: SendData | null): void {
    this.closeClient(scopeOf('closeCurrentClient').ctx.clientId, data);
  }

  /** Drops the connection of the client whose event is being handled, at once. */
  destroyCurrentClient(): void {
    this.destroyClient(scopeOf('destroyCurrentClient').ctx.clientId);
  }

  /** @deprecated GatewayWorker's misspelling, kept so ported code runs: use destroyCurrentClient. */
  destoryCurrentClient(): void {
    this.destroyClient(scopeOf('destoryCurrentClient').ctx.clientId);
  }

  override closeClient(clientId: string, data?: SendData | null): void {
    super.closeClient(clientId, data);
    const scope = scopeFor(clientId);
    if (scope) scope.closed = true;
  }

  override destroyClient(clientId: string): void {
    super.destroyClient(clientId);
    const scope = scopeFor(clientId);
    if (scope) scope.closed = true;
  }

  override setRouteKey(clientId: string, key: Name | null): void {
    super.setRouteKey(clientId, key);
    const scope = scopeFor(clientId);
    if (scope) scope.ctx.routeKey = key === null ? null : String(key);
  }

  override bindUid(clientId: string, uid: Name): void {
    super.bindUid(clientId, uid);
    const scope = scopeFor(clientId);
    if (scope) scope.ctx.uid = String(uid);
  }

  override unbindUid(clientId: string, uid: Name): void {
    super.unbindUid(clientId, uid);
    const scope = scopeFor(clientId);
    if (scope && scope.ctx.uid === String(uid)) scope.ctx.uid = null;
  }

  override setSession(clientId: string, data: SessionData): void {
    super.setSession(clientId, data);
    const scope = scopeFor(clientId);
    if (scope) {
      scope.ctx.session = { ...data };
      scope.baseline = sessionSnapshot(scope.ctx.session);
    }
  }

  override updateSession(clientId: string, data: SessionData): void {
    super.updateSession(clientId, data);
    const scope = scopeFor(clientId);
    if (scope) {
      Object.assign(scope.ctx.session, data);
      scope.baseline = sessionSnapshot(scope.ctx.session);
    }
  }
}

/**
 * The Gateway API for handlers in `business/events.ts`.
 * @example
 * import { Gateway } from 'switchboard';
 * export async function onMessage(clientId: string, data: string) {
 *   Gateway.sendToGroup('room-7', data, [clientId]); // everyone in room 7 but the sender
 * }
 */
export const Gateway = new WorkerGateway();
export type { WorkerGateway };
