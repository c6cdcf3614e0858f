// simulate.mjs evaluates IAM requests for cdk/policy_test.go with
// @cloud-copilot/iam-simulate, an evaluator that follows AWS's documented
// policy evaluation logic. It reads a JSON array of simulations (the
// package's Simulation shape) on stdin and writes a JSON array of results,
// in the same order, on stdout. The package resolves from the repository's
// node_modules (npm ci).
//
// A simulation may also list uncheckedContextKeys: keys the package's
// request validator drops although its condition engine can evaluate them
// (it matches variable keys such as kms:EncryptionContext:${Key} only when
// they contain a slash). The request is validated without them, then
// evaluated with them by runUnsafeSimulation, which skips that filter.
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const inputs = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const results = []
for (const { uncheckedContextKeys = [], ...simulation } of inputs) {
  const r = await runSimulation(simulation, {})
  if (r.resultType === 'error') {
    results.push({ resultType: r.resultType, error: JSON.stringify(r.errors) })
    continue
  }
  const parts = r.resultType === 'single' ? [r.result] : r.results
  const ignored = [...new Set(parts.flatMap((p) => p.ignoredContextKeys ?? []))]
  let overallResult = r.overallResult
  if (uncheckedContextKeys.some((k) => ignored.includes(k))) {
    // runUnsafeSimulation loads the resource policy without a name, which
    // its analysis needs: hand it over as an already validated policy
    // (@cloud-copilot/iam-policy's ValidatedPolicy), which it was above.
    const resourcePolicy = simulation.resourcePolicy && {
      __validated: true,
      policyDocument: simulation.resourcePolicy,
      metadata: { name: 'ResourcePolicy' },
      errors: []
    }
    overallResult = runUnsafeSimulation({ ...simulation, resourcePolicy }, {})
  }
  results.push({
    resultType: r.resultType,
    overallResult,
    // Context keys the evaluator dropped because they do not apply to the
    // action: a case that sets one would not test what it says.
    ignoredContextKeys: ignored.filter((k) => !uncheckedContextKeys.includes(k))
  })
}
process.stdout.write(JSON.stringify(results))
