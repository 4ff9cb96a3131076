// Progressive enhancement: every page works without this script. It is
// bundled, minified and loaded with `defer`, so it runs after the HTML is
// parsed and never blocks rendering.
(() => {
  addCopyButtons();
  showRelatedPosts();

  // A "Copy" button on every code block of a post.
  function addCopyButtons() {
    if (!navigator.clipboard) return;
    for (const pre of document.querySelectorAll(".prose pre")) {
      const wrapper = document.createElement("div");
      wrapper.className = "code-block";
      pre.replaceWith(wrapper);
      wrapper.append(pre);

      const button = document.createElement("button");
      button.type = "button";
      button.className = "copy-button";
      button.textContent = "Copy";
      button.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(pre.innerText.trimEnd());
          button.textContent = "Copied";
          button.dataset.copied = "";
        } catch {
          button.textContent = "Press Ctrl+C";
        }
        setTimeout(() => {
          button.textContent = "Copy";
          delete button.dataset.copied;
        }, 2000);
      });
      wrapper.append(button);
    }
  }

  // Fills the hidden "Related posts" section of a post page from the
  // site's API function. Any failure leaves the section hidden.
  async function showRelatedPosts() {
    const section = document.querySelector("[data-related]");
    if (!section) return;
    try {
      const res = await fetch("/api/related/" + encodeURIComponent(section.dataset.related), {
        headers: { Accept: "application/json" },
      });
      if (!res.ok || !res.headers.get("Content-Type")?.includes("application/json")) return;
      const posts = await res.json();
      if (!Array.isArray(posts) || posts.length === 0) return;

      const list = section.querySelector("ul");
      for (const post of posts) {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = post.url;
        link.textContent = post.title;
        const date = document.createElement("time");
        date.dateTime = post.date;
        date.textContent = post.date;
        item.append(link, date);
        list.append(item);
      }
      section.hidden = false;
    } catch {
      // Offline, or the API is not deployed: the page is complete without it.
    }
  }
})();
