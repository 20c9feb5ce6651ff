export const BUS = Symbol('MessageBus');
export const LOGGER = Symbol('Logger');
export const SERVICE_CONFIG = Symbol('ServiceConfig');
/** The service's own settings, as its schema (settings.ts) read them at start. */
export const SERVICE_SETTINGS = Symbol('ServiceSettings');
/** The service's `DomainConfigClient`: its one reader of domain configuration. */
export const DOMAIN_CONFIG = Symbol('DomainConfigClient');
