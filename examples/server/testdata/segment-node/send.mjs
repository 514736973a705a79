// Sends one call of every type through Segment's official Node client
// (@segment/analytics-node) to the server at process.argv[2], with the write key
// process.argv[3], then flushes and exits. TestSegmentNodeClient runs it and checks what
// the server made of the calls.
import { Analytics } from '@segment/analytics-node'

const [host, writeKey] = process.argv.slice(2)
const analytics = new Analytics({ writeKey, host, flushAt: 20, flushInterval: 100, maxRetries: 2 })
analytics.on('error', (err) => { console.error('analytics error:', err); process.exitCode = 1 })

const t = (s) => new Date(`2025-03-0${s}T10:00:00Z`)
analytics.page({ anonymousId: 'anon-7', name: 'Home', timestamp: t(1) })
analytics.screen({ anonymousId: 'anon-7', name: 'Catalogue', timestamp: t(1) })
analytics.identify({ anonymousId: 'anon-7', userId: 'user-7', traits: { email: 'Zoe@Example.com' }, timestamp: t(2) })
analytics.track({ userId: 'user-7', event: 'Order Completed', properties: { revenue: 42 }, timestamp: t(3) })
analytics.group({ userId: 'user-7', groupId: 'acme', traits: { name: 'Acme', email: 'sales@acme.example' }, timestamp: t(3) })
analytics.page({ anonymousId: 'anon-8', name: 'Home', timestamp: t(2) })
analytics.alias({ previousId: 'anon-8', userId: 'user-8', timestamp: t(4) })
// No timestamp given: the client stamps the call with its own clock.
analytics.track({ userId: 'user-8', event: 'Signed Up' })
await analytics.closeAndFlush({ timeout: 10000 })
