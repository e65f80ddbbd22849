/** The event the serving and pipeline benchmarks send: an Eventarc messagePublished, binary mode. */
export const body = JSON.stringify({
  message: {
    data: Buffer.from('{"hello":"bench"}').toString('base64'),
    attributes: { a: '1' },
    messageId: '42',
    message_id: '42',
    publishTime: '2026-11-22T14:00:00.000Z',
    publish_time: '2026-11-22T14:00:00.000Z',
  },
  subscription: 'projects/bench/subscriptions/s',
});

export const headers: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'ce-specversion': '1.0',
  'ce-id': '42',
  'ce-time': '2026-11-22T14:00:00.000Z',
  'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
  'ce-source': '//pubsub.googleapis.com/projects/bench/topics/t',
};
