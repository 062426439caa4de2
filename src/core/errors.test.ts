import { describe, expect, it } from 'vitest';
import { AppError, appErrorFromUnknown, encodeErrorForTransfer } from './errors.ts';

describe('errors across a worker boundary', () => {
  it('keeps code and hint through a message-only error', () => {
    const wire = encodeErrorForTransfer(new AppError('MODEL_SIGNATURE', 'bad model', 'use another'));
    // comlink rebuilds errors from the message only
    const rebuilt = new Error(wire.message);
    expect(appErrorFromUnknown(rebuilt)).toEqual({ code: 'MODEL_SIGNATURE', message: 'bad model', hint: 'use another' });
  });
  it('normalizes anything thrown', () => {
    expect(appErrorFromUnknown(new Error('x'))).toEqual({ code: 'UNKNOWN', message: 'x', hint: '' });
    expect(appErrorFromUnknown('plain')).toEqual({ code: 'UNKNOWN', message: 'plain', hint: '' });
  });
});
