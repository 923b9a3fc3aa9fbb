// A bare HTTP/1.1 exchange over a socket, for a huge body the server refuses early: node's
// client gives up on EPIPE before reading the 413 the server already sent.
import net from 'node:net';

export interface RawExchange {
  status: number;
  body: string;
  error?: string;
}

export function rawPost(url: URL, path: string, body: Buffer, timeoutMs: number): Promise<RawExchange> {
  return new Promise((resolve) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const sock = net.connect({ host, port: Number(url.port || 80) });
    const got: Buffer[] = [];
    let done = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const text = Buffer.concat(got).toString('utf8');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const sep = text.indexOf('\r\n\r\n');
      let payload = sep >= 0 ? text.slice(sep + 4) : '';
      if (/transfer-encoding:\s*chunked/i.test(text.slice(0, sep))) payload = dechunk(payload);
      resolve({ status: m ? Number(m[1]) : 0, body: payload, error: m ? undefined : error ?? 'no status line' });
    };
    const timer = setTimeout(() => finish('timed out'), timeoutMs);
    sock.on('data', (b: Buffer) => got.push(b));
    sock.on('end', () => finish());
    sock.on('close', () => finish());
    sock.on('error', (e) => {
      // A reset after the answer arrived is fine; we parse what we have.
      if (got.length) finish();
      else finish(e.message);
    });
    sock.on('connect', () => {
      sock.write(`POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
      // Give the server a moment to refuse on Content-Length alone, then send the body.
      setTimeout(() => {
        if (!done && got.length === 0) sock.write(body, () => {});
      }, 300);
    });
  });
}

function dechunk(s: string): string {
  let out = '';
  let pos = 0;
  while (pos < s.length) {
    const nl = s.indexOf('\r\n', pos);
    if (nl < 0) break;
    const size = parseInt(s.slice(pos, nl), 16);
    if (!size) break;
    out += s.slice(nl + 2, nl + 2 + size);
    pos = nl + 2 + size + 2;
  }
  return out;
}
