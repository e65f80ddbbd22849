// End-to-end suites run the compiled service under functions-framework: compile once before any suite.
const { execFileSync } = require('child_process');
const path = require('path');

module.exports = async () => {
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'build-if-needed.js')], { stdio: 'inherit' });
};
