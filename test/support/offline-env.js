// Tests speak only to loopback: google-auth-library must not probe the GCE metadata server
// (169.254.169.254) when an emulator client looks for a project or credentials. Child
// processes (the service, the emulators) inherit this.
process.env.METADATA_SERVER_DETECTION = 'none';
