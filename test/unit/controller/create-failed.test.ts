/**
 * A failed create shows the cloud's code and message in the CreateFailed condition, whichever shape
 * the cloud uses for `error[]`: the official SDKs' `{code, message}` (the simulator's default) or the
 * `{error_code, error_message}` of the team's early notes.
 */
import { describe, expect, it } from 'vitest';
import { NS, ready, rig, spec, type Step } from './rig.js';

const failed = (s: Step): boolean => ready(s.cr)?.reason === 'CreateFailed';

describe('CreateFailed names the cloud code and message', () => {
  it.each(['sdk', 'legacy'] as const)('for the %s error[] shape', async (shape) => {
    const r = await rig({ failedErrorShape: shape, faults: { failCreates: 1 } });
    r.ops.create(NS, 'web', spec());
    const steps = await r.drive('web', failed);
    const message = ready(steps.at(-1)?.cr)?.message ?? '';
    expect(message).toContain('EndPoint.3001: Failed to create the port for the endpoint service.');
    expect(message).not.toContain('no error detail');
  });
});
