"""The email edition: each post as inlined HTML, plain text and a MIME message.

It renders one message per post with merge tags where each subscriber's links go. It must not
send anything or know about subscribers: delivery belongs to its own subpackage.
"""
