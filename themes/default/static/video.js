// Click-to-play videos (templates/_video.html): the player waits in an inert <template>, so nothing
// is fetched from the video platform until the reader presses play.
for (const video of document.querySelectorAll(".video")) {
  const screen = video.querySelector(".video-screen");
  const button = video.querySelector(".video-play");
  const player = video.querySelector("template")?.content.querySelector("iframe");
  if (!screen || !button || !player) continue;
  button.addEventListener("click", () => {
    const frame = document.importNode(player, true);
    screen.replaceChildren(frame);
    frame.focus();  // the button is gone: keep keyboard focus on what replaced it
  }, { once: true });
  button.hidden = false;
}
