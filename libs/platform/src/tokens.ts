export const BUS = Symbol('MessageBus');
export const LOGGER = Symbol('Logger');
export const SERVICE_CONFIG = Symbol('ServiceConfig');
