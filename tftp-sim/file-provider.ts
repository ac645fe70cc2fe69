/**
 * Where the TFTP server and the HTTP file service (6970) get files. Both servers check the
 * requested name with {@link checkFileName} first and pass the provider only the normalised,
 * relative name; the provider answers with the bytes, `undefined` for "no such file", or throws
 * `FILE_ACCESS_DENIED` to refuse a name it will not serve (a directory, a symlink out of its
 * root, a file over its size cap). Any other error it throws is answered as a server error.
 *
 * Implementations: {@link StaticDirectoryProvider} (a directory on disk); the cluster's live
 * files (generated from the model on each read) implement the same interface in src/cluster.
 */
export interface FileProvider {
  read(name: string, context?: FileRequestContext): Promise<Uint8Array | undefined>;
}

/** Who asks, for providers that answer per client (a phone's own `SEP<MAC>.cnf.xml`). */
export interface FileRequestContext {
  protocol: 'tftp' | 'http';
  client: { address: string; port: number };
  signal?: AbortSignal;
}

/** Why {@link checkFileName} refused a name. */
export type FileNameRefusal = 'empty' | 'absolute' | 'traversal' | 'backslash' | 'control-character' | 'too-long';

/** The normalised name, or why it is refused. */
export type FileNameCheck = { ok: true; name: string } | { ok: false; reason: FileNameRefusal; message: string };

/** Longest accepted name; a request packet cannot carry more than 512 bytes anyway. */
export const MAX_FILE_NAME_LENGTH = 255;

/**
 * Decides whether a requested name may be served, the same way for TFTP and HTTP. Refused:
 * an empty name, an absolute path (leading `/`), any `..` segment, a backslash (Windows-style
 * separators are never needed by phones and would need their own traversal rules), and
 * control characters. Accepted names are normalised: `.` segments and repeated `/` go away,
 * so `a/./b` and `a//b` are both `a/b`.
 */
export function checkFileName(requested: string): FileNameCheck {
  if (requested.length === 0) return { ok: false, reason: 'empty', message: 'empty file name' };
  if (requested.length > MAX_FILE_NAME_LENGTH) return { ok: false, reason: 'too-long', message: `file name longer than ${MAX_FILE_NAME_LENGTH} characters` };
  if (/[\u0000-\u001f\u007f]/.test(requested)) return { ok: false, reason: 'control-character', message: 'file name contains a control character' };
  if (requested.includes('\\')) return { ok: false, reason: 'backslash', message: 'file name contains a backslash' };
  if (requested.startsWith('/')) return { ok: false, reason: 'absolute', message: 'absolute paths are not served' };
  const segments = requested.split('/');
  if (segments.includes('..')) return { ok: false, reason: 'traversal', message: '".." is not allowed in file names' };
  const name = segments.filter((s) => s !== '' && s !== '.').join('/');
  if (name.length === 0) return { ok: false, reason: 'empty', message: 'file name has no file in it' };
  return { ok: true, name };
}
