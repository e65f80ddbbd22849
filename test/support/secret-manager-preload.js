/**
 * For a real service process: `NODE_OPTIONS=--require <this file>` with
 * TEST_SECRET_MANAGER_PORT points the real @google-cloud/secret-manager client
 * (REST transport) at the local test server (secret-manager-server.ts), as its
 * accessor() does in-process. Secret Manager has no emulator and no endpoint setting.
 */
const sm = require('@google-cloud/secret-manager');
const { OAuth2Client } = require('google-auth-library');

const port = Number(process.env.TEST_SECRET_MANAGER_PORT);
const Client = sm.SecretManagerServiceClient;

class LocalClient extends Client {
  constructor(options = {}) {
    const authClient = new OAuth2Client();
    authClient.credentials = { access_token: 'local-test-token' };
    super({ ...options, fallback: true, apiEndpoint: '127.0.0.1', port, protocol: 'http', authClient });
  }
}

sm.SecretManagerServiceClient = LocalClient;
