"""The wechat context: WeChat's server API as the platform's other contexts use it (the shared
access token, content security) and what WeChat pushes to us (the message-push endpoint)."""
