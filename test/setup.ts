// @peculiar/x509 resolves its factories through tsyringe, which needs the Reflect metadata
// polyfill loaded before the library itself.
import 'reflect-metadata';
