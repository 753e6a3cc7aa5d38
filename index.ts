/// <reference types="node" preserve="true" />
/**
 * Switchboard: real-time push to WebSocket clients. Gateways hold the client sockets, business workers run
 * your handlers (business/events.ts) and reach any client through the `Gateway` API, a register tells
 * everyone where the gateways are.
 */
export { Gateway, type WorkerGateway } from './business/gateway.ts';
export { GatewayApi, type Name, type SendData, type SessionData } from './gateway-api/gateway-api.ts';
export type { Context } from './business/context.ts';
export type { EventHandlers, WebSocketConnectData, WorkerInfo } from './business/event-handlers.ts';
export { BusinessWorker } from './business/business-worker.ts';
export type { BusinessWorkerOptions } from './business/worker-options.ts';
export { GatewayServer, CloseCode } from './gateway/gateway-server.ts';
export type { GatewayOptions } from './gateway/gateway-options.ts';
export { INVALID, NEED_MORE, type ProtocolCodec } from './gateway/protocols/codec.ts';
export { RegisterServer } from './register/register-server.ts';
export type { RegisterOptions } from './register/register-options.ts';
export type { ClientRequest } from './shared/commands.ts';
export { ErrorCode, SwitchboardError, hasCode } from './shared/errors.ts';
export { createLogger, type Logger, type LogLevel } from './shared/logger.ts';
export { GatewayClient, type GatewayClientOptions } from './gateway-api/gateway-client.ts';
export type { SendArgs, SendCall } from './gateway-api/gateway-api.ts';
export type { GatewayApiOptions, Routing } from './gateway-api/gateway-api-options.ts';
export { HttpApiServer } from './http-api/http-api-server.ts';
export type { HttpApiOptions } from './http-api/http-api-options.ts';
