import { Type } from '@sinclair/typebox';

export const ErrorBodySchema = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { $id: 'ErrorBody', description: 'Every error: a stable code and a message' },
);

/** The error answers every authenticated route may give. */
export const COMMON_ERRORS = { 400: ErrorBodySchema, 401: ErrorBodySchema, 503: ErrorBodySchema };
