// The page's few lines of script: the k07 client from the bundle the proxy serves, connected back to
// the proxy that served the page (same origin, so the proxy lets it in without --allow-origin).
import { FetchRequest, KafkaClient } from "/k07-browser.js";

const kafka = new KafkaClient(location.hostname, Number(location.port));
const $ = (id) => document.getElementById(id);
const target = () => [$("topic").value.trim(), Number($("partition").value)];
const status = (text, isError = false) => {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
};
let tailing;

$("pick").addEventListener("submit", async (event) => {
  event.preventDefault();
  const [topic, partition] = target();
  try {
    const [latest, earliest] = [await kafka.latestOffset(topic, partition), await kafka.earliestOffset(topic, partition)];
    $("offsets").textContent = `earliest ${earliest}, latest ${latest} (byte positions)`;
    status("");
  } catch (error) {
    status(`${error.name}: ${error.message}`, true);
  }
});

$("tail").addEventListener("click", async () => {
  const [topic, partition] = target();
  tailing = new AbortController();
  $("tail").disabled = true;
  $("stop").disabled = false;
  $("messages").replaceChildren();
  status(`tailing ${topic}/${partition}`);
  try {
    const start = $("from").value === "latest" ? await kafka.latestOffset(topic, partition) : 0;
    const request = new FetchRequest(topic, partition, start, 1024 * 1024);
    for await (const message of kafka.iterMessages(request, true, { follow: true, signal: tailing.signal })) {
      const item = document.createElement("li");
      item.textContent = `${message.offset}: ${message.text()}`;
      $("messages").append(item);
      item.scrollIntoView({ block: "nearest" });
    }
    status(`stopped tailing ${topic}/${partition}`);
  } catch (error) {
    status(`${error.name}: ${error.message}`, true);
  } finally {
    $("tail").disabled = false;
    $("stop").disabled = true;
  }
});

$("stop").addEventListener("click", () => tailing?.abort());

$("send").addEventListener("submit", async (event) => {
  event.preventDefault();
  const [topic, partition] = target();
  try {
    await kafka.sendMessagesSimple(topic, partition, $("text").value);
    await kafka.confirm();
    status(`sent to ${topic}/${partition}`);
    $("text").value = "";
  } catch (error) {
    status(`${error.name}: ${error.message}`, true);
  }
});
