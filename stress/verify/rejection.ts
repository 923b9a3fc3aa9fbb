// A rejection (429 / 503) must tell the client when to come back and say why in OpenAI's shape.

export interface RejectionCheck {
  ok: boolean;
  problems: string[];
}

/** True when body is {"error":{message,type,param,code}} with the right JSON types. */
export function isOpenAIErrorBody(body: string): { ok: boolean; problem?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, problem: 'body is not JSON' };
  }
  const err = (parsed as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  if (!err || typeof err !== 'object') return { ok: false, problem: 'no "error" object' };
  if (typeof err.message !== 'string' || err.message.length === 0) return { ok: false, problem: 'error.message missing' };
  if (typeof err.type !== 'string') return { ok: false, problem: 'error.type missing' };
  for (const k of ['param', 'code'] as const) {
    if (!(k in err)) return { ok: false, problem: `error.${k} missing` };
    if (err[k] !== null && typeof err[k] !== 'string') return { ok: false, problem: `error.${k} not string|null` };
  }
  return { ok: true };
}

export function checkRejection(status: number, headers: Record<string, string | string[] | undefined>, body: string): RejectionCheck {
  const problems: string[] = [];
  const retry = headers['retry-after'];
  const retryValue = Array.isArray(retry) ? retry[0] : retry;
  if (retryValue === undefined) problems.push(`${status} without Retry-After`);
  else if (!/^\d+$/.test(retryValue.trim()) && Number.isNaN(Date.parse(retryValue))) {
    problems.push(`Retry-After not seconds or a date: ${retryValue}`);
  }
  const shape = isOpenAIErrorBody(body);
  if (!shape.ok) problems.push(`${status} body: ${shape.problem}`);
  return { ok: problems.length === 0, problems };
}
