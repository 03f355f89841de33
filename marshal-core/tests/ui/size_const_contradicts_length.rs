use marshal_core::marshal::Marshal;

#[derive(Marshal)]
struct S {
    #[marshal(as = by_val_array(3))]
    a: [i32; 4],
}

fn main() {}
