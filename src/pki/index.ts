export { parseCertificate, pemCertificates, toPem, looksLikePem, stripLeadingZeros, type CertificateInfo } from './certificate.js';
export { cucmName, certutilsName, dnPairs, sameName, NAME_OIDS, type DnPairs } from './names.js';
export { generateKeyPair, specOf, toCryptoKeys, signingAlgorithm, type KeySpec, type KeyPair, type HashName } from './keys.js';
export { issueCertificate, positiveSerial, dnJson, loadX509, type IssueOptions, type DnSpec } from './issue.js';
export { PublicKeyCache, defaultKeyCache } from './key-cache.js';
export { readPrivateKey } from './private-key.js';
