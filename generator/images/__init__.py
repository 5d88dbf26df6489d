"""Images the site owns: `digest images` fetches each image the stories name into the image store
(command.py, through generator/fetch.py), as the sizes the theme shows (process.py); the build never
touches the network, and publishes from the store (store.py) what its byte budget allows (plan.py)."""
