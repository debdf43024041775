//! Demo traffic: believable clients at a given rate.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use careline_protocol::{AuthorKind, CreateCallbackRequest, Event, EventData, MessageKind};
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::api::Api;
use crate::phrases::{CALLBACK_REASONS, EMERGENCIES, FOLLOW_UPS, NAMES, OPENERS};

#[derive(clap::Args, Clone)]
pub struct RunArgs {
    /// Simulated clients.
    #[arg(long, default_value_t = 12)]
    pub clients: usize,
    /// Actions per second across all clients.
    #[arg(long, default_value_t = 0.5)]
    pub rate: f64,
    /// Stop after this many seconds (0: run until stopped).
    #[arg(long, default_value_t = 0)]
    pub duration: u64,
    /// Stop after this many actions (0: no limit).
    #[arg(long, default_value_t = 0)]
    pub actions: u64,
    /// Password of the simulated clients.
    #[arg(long, default_value = "careline-sim-client")]
    pub password: String,
    /// Do not answer operators' messages.
    #[arg(long)]
    pub no_answer: bool,
}

impl Default for RunArgs {
    fn default() -> Self {
        Self {
            clients: 12,
            rate: 0.5,
            duration: 0,
            actions: 0,
            password: "careline-sim-client".into(),
            no_answer: false,
        }
    }
}

/// A phone number made from the seed and the client's index, so reruns reuse the accounts.
pub fn sim_phone(seed: u64, i: usize) -> String {
    format!("+7999{:03}{:04}", seed % 1000, i)
}

pub async fn run(server: &str, seed: u64, args: RunArgs) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut clients = Vec::new();
    for i in 0..args.clients {
        let name = NAMES[(seed as usize + i) % NAMES.len()];
        let api = Api::client(&http, server, name, &sim_phone(seed, i), &args.password).await?;
        clients.push(api);
    }
    tracing::info!(
        clients = clients.len(),
        rate = args.rate,
        "simulated clients ready"
    );
    // The consultation each client is in, by client.
    let open: Arc<Mutex<HashMap<Uuid, Uuid>>> = Arc::default();
    if !args.no_answer {
        for c in &clients {
            tokio::spawn(answer_operators(
                c.clone(),
                seed ^ c.user_id.as_u128() as u64,
                open.clone(),
            ));
        }
    }
    let started = std::time::Instant::now();
    let mut done = 0u64;
    loop {
        if (args.duration > 0 && started.elapsed() >= Duration::from_secs(args.duration))
            || (args.actions > 0 && done >= args.actions)
        {
            break;
        }
        // Exponential gaps: a Poisson process at `rate`.
        let gap = -(1.0 - rng.gen::<f64>()).ln() / args.rate.max(0.001);
        tokio::time::sleep(Duration::from_secs_f64(gap.min(60.0))).await;
        let client = &clients[rng.gen_range(0..clients.len())];
        let roll: f64 = rng.gen();
        let result = if roll < 0.12 {
            let reason = CALLBACK_REASONS[rng.gen_range(0..CALLBACK_REASONS.len())];
            let preferred_at = (rng.gen::<f64>() < 0.5)
                .then(|| chrono::Utc::now() + chrono::Duration::minutes(rng.gen_range(10..240)));
            let req = CreateCallbackRequest {
                id: None,
                phone: sim_phone(
                    seed,
                    clients
                        .iter()
                        .position(|c| c.user_id == client.user_id)
                        .unwrap_or(0),
                ),
                preferred_at,
                preferred_until: preferred_at.map(|p| p + chrono::Duration::hours(1)),
                reason: Some(reason.into()),
                client_id: None,
            };
            client
                .request_callback(&req)
                .await
                .map(|cb| tracing::info!(id = %cb.id, "callback requested"))
        } else {
            chat(client, &mut rng, &open).await
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "action failed");
        }
        done += 1;
    }
    Ok(())
}

async fn chat(
    client: &Api,
    rng: &mut StdRng,
    open: &Mutex<HashMap<Uuid, Uuid>>,
) -> anyhow::Result<()> {
    let current = open.lock().await.get(&client.user_id).copied();
    let Some(consultation) = current else {
        // One consultation in twenty begins with an emergency (a red flag on the server).
        let text = if rng.gen_bool(0.05) {
            EMERGENCIES[rng.gen_range(0..EMERGENCIES.len())]
        } else {
            OPENERS[rng.gen_range(0..OPENERS.len())]
        };
        let r = client.initiate(text).await?;
        open.lock().await.insert(client.user_id, r.consultation.id);
        tracing::info!(consultation = %r.consultation.id, created = r.created, "consultation opened");
        return Ok(());
    };
    let roll: f64 = rng.gen();
    let msg = if roll < 0.08 {
        let a = client
            .upload("photo.png", "image/png", tiny_png(rng.gen()))
            .await?;
        client
            .send(consultation, MessageKind::Image, "", Some(a.id))
            .await?
    } else if roll < 0.12 {
        let text = format!(
            "Результаты анализов / 化验结果 / Lab results\nHb: {} g/L\n",
            rng.gen_range(110..160)
        );
        let a = client
            .upload("analysis.txt", "text/plain", text.into_bytes())
            .await?;
        client
            .send(consultation, MessageKind::File, "", Some(a.id))
            .await?
    } else {
        let text = FOLLOW_UPS[rng.gen_range(0..FOLLOW_UPS.len())];
        client
            .send(consultation, MessageKind::Text, text, None)
            .await?
    };
    // A message to a closed consultation opens a new one: follow it.
    open.lock()
        .await
        .insert(client.user_id, msg.consultation_id);
    Ok(())
}

/// Listens to the client's own stream and answers an operator's message after a pause.
async fn answer_operators(client: Api, seed: u64, open: Arc<Mutex<HashMap<Uuid, Uuid>>>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut backoff = Duration::from_millis(500);
    let mut last_seq: Option<i64> = None;
    loop {
        let Ok((mut ws, _)) = tokio_tungstenite::connect_async(client.ws_request(last_seq)).await
        else {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(15));
            continue;
        };
        backoff = Duration::from_millis(500);
        while let Some(Ok(frame)) = ws.next().await {
            let tokio_tungstenite::tungstenite::Message::Text(text) = frame else {
                continue;
            };
            let Ok(event) = serde_json::from_str::<Event>(&text) else {
                continue;
            };
            let live = last_seq.is_some();
            last_seq = Some(event.seq);
            if let EventData::Message(m) = event.data {
                if live && m.author_kind == AuthorKind::Operator && !m.internal {
                    open.lock().await.insert(client.user_id, m.consultation_id);
                    // As a phone app does: confirm receipt at once, read it a moment later,
                    // answer after a pause.
                    let read_after = Duration::from_millis(rng.gen_range(500..1500));
                    let pause = Duration::from_millis(rng.gen_range(1500..6000));
                    let reply = FOLLOW_UPS[rng.gen_range(0..FOLLOW_UPS.len())];
                    let c = client.clone();
                    tokio::spawn(async move {
                        if let Err(e) = c.delivered(m.consultation_id, m.seq).await {
                            tracing::warn!(error = %e, "delivery receipt failed");
                        }
                        tokio::time::sleep(read_after).await;
                        if let Err(e) = c.read(m.consultation_id, m.seq).await {
                            tracing::warn!(error = %e, "read receipt failed");
                        }
                        tokio::time::sleep(pause).await;
                        if let Err(e) = c
                            .send(m.consultation_id, MessageKind::Text, reply, None)
                            .await
                        {
                            tracing::warn!(error = %e, "reply failed");
                        }
                    });
                }
            }
        }
    }
}

/// A valid 1×1 PNG of a random grey.
fn tiny_png(shade: u8) -> Vec<u8> {
    // Signature, IHDR (1x1, 8-bit greyscale), IDAT (zlib stored block), IEND; CRCs computed.
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
    let raw = [0u8, shade];
    let adler = {
        let (mut a, mut b) = (1u32, 0u32);
        for x in raw {
            a = (a + x as u32) % 65521;
            b = (b + a) % 65521;
        }
        (b << 16) | a
    };
    let mut idat = vec![0x78, 0x01, 0x01, 0x02, 0x00, 0xfd, 0xff];
    idat.extend_from_slice(&raw);
    idat.extend_from_slice(&adler.to_be_bytes());
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_reference() {
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
    }

    #[test]
    fn phones_are_stable_and_valid() {
        assert_eq!(sim_phone(1, 2), "+79990010002");
        assert_eq!(sim_phone(1, 2), sim_phone(1, 2));
    }
}
