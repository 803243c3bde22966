package config

// StarterFile returns the commented starter file `corscope config init`
// writes. Its active settings equal Default(); the sections a user fills in
// (targets, purge, keys, themes) are commented out. config.example.toml at
// the repository root documents every key in full, and a test keeps the two
// in step.
func StarterFile() []byte { return []byte(starter) }

const starter = `# corscope configuration. Every key is optional: delete what you do not
# change. The full reference is config.example.toml in the corscope
# repository. Check this file with: corscope config check

# Built-in themes: default, dark, light, high-contrast, mono; or a
# [themes.NAME] table below.
theme = "default"
# "auto", "always" or "never".
color = "auto"
# Origins sent to every target (scheme://host[:port]).
origins = []

[probe]
timeout = "10s"        # per request
concurrency = 16       # targets probed at once
host_concurrency = 8   # requests in flight to one host at once
rate = 0.0             # requests per second to each host; 0 means no limit
rounds = 2             # repetitions of each target's Origin variants
body_limit = "64KiB"   # body bytes read per response
user_agent = ""        # empty means corscope/<version>
headers = []           # extra "Name: value" headers
proxy = ""             # http://host:port or socks5://host:port
resolve = []           # "HOST:PORT:ADDRESS", like curl --resolve
edges = []             # edge addresses probed side by side (IP or IP:port), like --edge
insecure = false       # skip TLS verification
follow_redirects = 0   # redirects to follow
mode = "isolate"       # "isolate" (cache-busted experiments) or "observe"
cache_buster = "corscope"
preflight = false      # also send OPTIONS preflights
request_method = "GET"
request_headers = []   # non-safelisted request header names

[policy]
allow = []             # origins that should be allowed
fail_on = "high"       # info, low, medium, high or none

# [[targets]]
# url = "https://cdn.example.com/app.js"
# origins = ["https://app.example.com"]
# headers = ["Accept: application/javascript"]

# Purge providers. Never put a token here: name the environment variable
# that holds it in token_env.
# [[purge]]
# provider = "cloudflare"
# hosts = ["*.example.com"]
# token_env = "CLOUDFLARE_API_TOKEN"
# zone_id = "your-zone-id"
# batch_size = 30
# soft = false

# [keys]
# quit = ["q", "ctrl+c"]
# reprobe = "r"

# [themes.mine]
# base = "dark"
# accent = "#ff8800"
`
