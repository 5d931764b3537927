"""One router per resource; each route parses, authorises, calls one dispatch service, serialises."""
