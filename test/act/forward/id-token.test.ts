/**
 * googleIdTokenSource loads google-auth-library on the first token only (cold
 * start is measured), and a failed load is tried again on the next token
 * (onFirstUse) instead of failing every later request.
 */
import { googleIdTokenSource } from '../../../functions/act/forward/id-token';

let loads = 0;
jest.mock('google-auth-library', () => {
  loads += 1;
  if (loads === 1) throw new Error('first load fails');
  return {
    GoogleAuth: class {
      async getIdTokenClient(audience: string) {
        return { idTokenProvider: { fetchIdToken: async (aud: string) => `token for ${aud} via ${audience}` } };
      }
    },
  };
});

it('loads google-auth-library on first use, retries a failed load, then keeps the client', async () => {
  const source = googleIdTokenSource();
  expect(loads).toBe(0);
  await expect(source('https://a.example')).rejects.toThrow('first load fails');
  await expect(source('https://a.example')).resolves.toBe('token for https://a.example via https://a.example');
  await expect(source('https://b.example')).resolves.toBe('token for https://b.example via https://b.example');
  expect(loads).toBe(2);
});
