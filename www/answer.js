// The message loop both workers share: `{id, op, args}` in; `{id, progress}` while an
// operation runs, then `{id, ok: true, result}` or `{id, ok: false, error: {code, message}}`.
// An operation returns a value, or `{value, transfer}` to hand buffers over without a copy.

export function answer(ops) {
  self.onmessage = async ({ data: { id, op, args } }) => {
    try {
      if (!ops[op]) throw { code: 'bad_request', message: `unknown operation ${op}` };
      const progress = (done, total) => self.postMessage({ id, progress: [done, total] });
      const out = await ops[op](args, progress);
      const { value, transfer } = out && typeof out === 'object' && 'value' in out ? out : { value: out, transfer: [] };
      self.postMessage({ id, ok: true, result: value }, transfer);
    } catch (e) {
      const error = e && e.code ? { ...e, message: e.message } : { code: 'engine', message: String(e?.message || e) };
      self.postMessage({ id, ok: false, error });
    }
  };
}
