import { describe, expect, it } from 'vitest';
import { cv, loadOpenCV, toError } from '../../analysis/opencv/runtime.ts';
import { liveScopedObjects, withMats } from '../../analysis/opencv/mat-scope.ts';
import { ArtmetaError } from '../../analysis/errors.ts';

describe('OpenCV runtime', () => {
  it('loads once and leaves no process-wide handlers behind', async () => {
    const exceptionHandlers = process.listeners('uncaughtException').length;
    const rejectionHandlers = process.listeners('unhandledRejection').length;
    await Promise.all([loadOpenCV(), loadOpenCV()]);
    expect(typeof cv().Mat).toBe('function');
    expect(process.listeners('uncaughtException').length).toBe(exceptionHandlers);
    expect(process.listeners('unhandledRejection').length).toBe(rejectionHandlers);
  });

  it('turns numeric OpenCV exceptions into readable errors', async () => {
    await loadOpenCV();
    let thrown: unknown;
    try {
      new (cv().Mat)(-1, -1, cv().CV_8UC1);
    } catch (e) {
      thrown = e;
    }
    expect(typeof thrown).toBe('number');
    const error = toError(thrown);
    expect(error).toBeInstanceOf(ArtmetaError);
    expect(error.message).toMatch(/Assertion failed/);
  });

  it('frees every scoped Mat even when the work throws', async () => {
    await loadOpenCV();
    const mats: { isDeleted(): boolean }[] = [];
    expect(() =>
      withMats((scope) => {
        mats.push(scope.track(new (cv().Mat)(10, 10, cv().CV_8UC1)));
        mats.push(scope.track(new (cv().Mat)(10, 10, cv().CV_8UC3)));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(mats.every((m) => m.isDeleted())).toBe(true);
    expect(liveScopedObjects()).toBe(0);
  });
});
