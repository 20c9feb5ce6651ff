// @hpke/core is typed against the DOM's WebCrypto globals; Node 20's types keep them under
// `webcrypto`. Naming them globally lets the compiler check the HPKE calls instead of
// treating their key types as unresolved.
type CryptoKey = import('node:crypto').webcrypto.CryptoKey;
type CryptoKeyPair = import('node:crypto').webcrypto.CryptoKeyPair;
