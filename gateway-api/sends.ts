import { gatewayOf } from '../shared/client-id.ts';
import { Cmd, cmdName, type Message } from '../shared/commands.ts';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';
import { fitsShape } from '../shared/queries.ts';
import { nameList, ownerOf, payload, type Name, type SendData } from './call-arguments.ts';

/** A message and where it goes: one gateway's inner address, or null for every gateway. */
export type Route = [gateway: string | null, message: Message];

/** The parameters of each call that sends data to clients. */
interface SendParams {
  sendToClient: [clientId: string, data: SendData];
  sendToUid: [uid: Name | Name[], data: SendData];
  sendToGroup: [group: Name | Name[], data: SendData, exclude?: string | string[] | null];
  sendToAll: [data: SendData, clientIds?: string[] | null, exclude?: string | string[] | null];
}

/** The calls that send data to clients, and whose deliveries can be counted. */
export type SendCall = keyof SendParams;
/** The arguments of send call K, as the call itself takes them. */
export type SendArgs<K extends SendCall> = SendParams[K];

/**
 * How each send call's arguments (checked here) become messages and the gateways they go to: one table for
 * the send calls and for counting their deliveries.
 */
export const SENDS: { [K in SendCall]: (...args: SendParams[K]) => Route[] } = {
  sendToClient(clientId, data) {
    const call = 'sendToClient';
    return [[ownerOf(call, clientId), { cmd: Cmd.SendToClients, clients: [clientId], data: payload(call, data) }]];
  },
  sendToUid(uid, data) {
    const call = 'sendToUid';
    const uids = nameList(call, 'uid', uid);
    return uids.length === 0 ? [] : [[null, { cmd: Cmd.SendToUids, uids, data: payload(call, data) }]];
  },
  sendToGroup(group, data, exclude) {
    const call = 'sendToGroup';
    const groups = nameList(call, 'group', group);
    if (groups.length === 0) return [];
    const excluded = exclude == null ? [] : nameList(call, 'exclude', exclude);
    return [[null, { cmd: Cmd.SendToGroups, groups, data: payload(call, data), exclude: excluded }]];
  },
  sendToAll(data, clientIds, exclude) {
    const call = 'sendToAll';
    const out = payload(call, data);
    const excluded = exclude == null ? [] : nameList(call, 'exclude', exclude);
    if (clientIds == null) return [[null, { cmd: Cmd.SendToAll, data: out, exclude: excluded }]];
    const skip = new Set(excluded);
    const byGateway = new Map<string, string[]>();
    for (const id of nameList(call, 'clientIds', clientIds)) {
      const gateway = gatewayOf(id);
      if (gateway === null || skip.has(id)) continue;
      const list = byGateway.get(gateway);
      if (list) list.push(id);
      else byGateway.set(gateway, [id]);
    }
    return [...byGateway].map(([gateway, clients]) => [gateway, { cmd: Cmd.SendToClients, clients, data: out }]);
  },
};

/** A send that asks its gateway to answer with the number of clients it handed the data to. */
export function counted(message: Message, id: number): Message {
  switch (message.cmd) {
    case Cmd.SendToClients:
    case Cmd.SendToUids:
    case Cmd.SendToGroups:
    case Cmd.SendToAll:
      return { ...message, id };
    default:
      throw new SwitchboardError(ErrorCode.InvalidArgument, `only sends can be counted, not ${cmdName(message.cmd)}`);
  }
}

export const isDeliveryCount = (value: unknown): value is number => fitsShape('count', value);
